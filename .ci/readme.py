"""Write README.md from nbs/index.ipynb without Quarto: markdown cells as they are, code cells fenced,
text outputs (if any were saved) fenced below them. Run from the repository root."""
import json, sys
from pathlib import Path

def render(nb_path='nbs/index.ipynb'):
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src or src.startswith('#| hide'): continue
        if c['cell_type'] == 'markdown': out.append(src.replace('](images/', '](nbs/images/'))   # pictures live beside the notebooks
        elif c['cell_type'] == 'code':
            out.append('```python\n' + src + '\n```')
            txt = ''.join(''.join(o.get('text', '') or o.get('data', {}).get('text/plain', '')) for o in c.get('outputs', []))
            if txt.strip(): out.append('```\n' + txt.rstrip() + '\n```')
    return '<!-- Made from nbs/index.ipynb by .ci/readme.py; edit the notebook, not this file. -->\n\n' + '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    text = render()
    if '--check' in sys.argv:
        if Path('README.md').read_text() != text: sys.exit('README.md is out of date: run `python .ci/readme.py`')
    else: Path('README.md').write_text(text)
