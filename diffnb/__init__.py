"""Diffusion models derived step by step in notebooks (DDPM, the score, EDM, noise schedules) and shipped as a library of samplers, preconditioners and fastai callbacks"""

__version__ = "0.0.1"
