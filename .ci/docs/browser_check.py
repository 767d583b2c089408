"""Open every page of the stand-in site in headless Chromium (Debian's chromium + chromedriver, driven by Selenium)
and check what a reader would notice. Writes a screenshot of each page to _docs_check/ (git-ignored).

Checks per page: no console errors; every <img> loaded (naturalWidth > 0); math rendered (no <merror>, no raw
`$...$` or TeX commands left in the text); no `#|` directives and no progress-bar text visible; and each public name
of the library whose docs live on that page (from diffnb/_modidx.py) has its show_doc heading there. Public names
are those without a leading underscore; for methods we skip `forward` (called through `__call__`), fastai callback
events (`before_*` / `after_*`), properties, and methods that override a method of a library base class (documented once, on
the base). Usage: python .ci/docs/browser_check.py [_site] [_docs_check]
"""
import importlib, inspect, json, re, sys, time, warnings
warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated")   # raised while importing diffnb's dependencies
from pathlib import Path
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parent.parent.parent
CHROME = next((p for p in ('/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome') if Path(p).exists()), None)
DRIVER = next((p for p in ('/usr/bin/chromedriver', '/usr/lib/chromium/chromedriver') if Path(p).exists()), None)

def _skip_method(qual):
    "True for methods we do not ask a show_doc entry for (see the module docstring)"
    mod, cls, meth = qual.rsplit('.', 2)
    if meth == 'forward' or re.match(r'(before|after)_', meth): return True
    try: C = getattr(importlib.import_module(mod), cls)
    except Exception: return False
    if not inspect.isclass(C): return False
    if isinstance(inspect.getattr_static(C, meth, None), property): return True   # an attribute, described with its class
    return any(meth in vars(B) for B in C.__mro__[1:] if B is not object)   # diffnb's, torch's (nn.Module.extra_repr) or fastai's base

def expected_names():
    "{page: [names]} for every public name in diffnb/_modidx.py"
    from diffnb._modidx import d
    out = {}
    for mod, syms in d['syms'].items():
        for qual, (url, _) in syms.items():
            name = qual[len(mod) + 1:]
            if any(p.startswith('_') for p in name.split('.')): continue
            if '.' in name and _skip_method(qual): continue
            out.setdefault(url.split('#')[0], []).append(name)
    return out

JS = r"""
const vis = el => { for (let e = el; e; e = e.parentElement) { if (e.tagName === 'DETAILS' && !e.open && e !== el) {} } return true; };
const textOf = (root, skip) => { const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT); let s = [], n;
  while ((n = w.nextNode())) { if (!n.parentElement.closest(skip)) s.push(n.textContent); } return s.join(' '); };
return {
  imgs: [...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth})),
  merror: document.querySelectorAll('merror').length,
  nmath: document.querySelectorAll('math').length,
  prose: textOf(document.body, 'pre, code, math, script, style'),
  all: textOf(document.body, 'script, style'),
  pres: [...document.querySelectorAll('pre')].map(p => p.textContent),
  heads: [...document.querySelectorAll('h1,h2,h3,h4,h5')].map(h => h.textContent.trim()),
  height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
};"""

RAW_MATH = re.compile(r'(?<![\\\w])\$(?!\s)[^$\n]{1,200}?(?<!\s)\$(?!\d)|\$\$|\\(frac|sigma|mathcal|nabla|sqrt|left|right|begin)\b')
DIRECTIVE = re.compile(r'(?m)^\s*#\|\s*[\w-]+')
PROGRESS = re.compile(r'\d+%\|[█▉▊▋▌▍▎▏ #]*\||\d+(\.\d+)?(it/s|s/it)\]|\[\d+/\d+ \d\d:\d\d<|█{3,}')

def check_page(drv, url, names, shots, stem):
    drv.get(url)
    time.sleep(0.2)
    problems = []
    logs = [l for l in drv.get_log('browser') if l['level'] == 'SEVERE']
    problems += [f"console error: {l['message'][:200]}" for l in logs]
    r = drv.execute_script(JS)
    problems += [f"image not loaded: {i['src']}" for i in r['imgs'] if not i['ok']]
    if r['merror']: problems.append(f"{r['merror']} MathML error node(s) (<merror>)")
    for m in list(RAW_MATH.finditer(r['prose']))[:5]:
        problems.append(f"raw TeX/$ in text: ...{r['prose'][max(0, m.start()-40):m.end()+40]!r}...")
    # a `#|` line leaked into a code or output block, or `#|` in prose outside inline code (prose may name one in code)
    leaks = [(t, m) for t in r['pres'] for m in DIRECTIVE.finditer(t)] + [(r['prose'], m) for m in re.finditer(r'#\|', r['prose'])]
    for t, m in leaks[:3]: problems.append(f"cell directive visible: ...{t[max(0, m.start()-20):m.end()+40]!r}...")
    for m in list(PROGRESS.finditer(r['all']))[:3]:
        problems.append(f"progress-bar text visible: ...{r['all'][max(0, m.start()-30):m.end()+30]!r}...")
    heads = set(r['heads'])
    missing = [n for n in names if n not in heads]
    if missing: problems.append(f"no show_doc entry for: {', '.join(missing)}")
    # screenshots: the first screen (to look at quickly) and the whole page (height capped)
    drv.set_window_size(1280, 1000); drv.save_screenshot(str(shots/f'{stem}.png'))
    drv.set_window_size(1280, min(r['height'] + 50, 30000)); drv.save_screenshot(str(shots/f'{stem}.full.png'))
    drv.set_window_size(1280, 1000)
    return problems, dict(images=len(r['imgs']), math=r['nmath'], names=len(names), height=r['height'])

def main(site='_site', shots='_docs_check'):
    site, shots = ROOT/site, ROOT/shots
    shots.mkdir(exist_ok=True)
    if not (CHROME and DRIVER): sys.exit('chromium and chromedriver are needed (Debian: apt-get install chromium chromium-driver)')
    pages = json.loads((site/'pages.json').read_text())
    exp = expected_names()
    unknown = sorted(set(exp) - {p['page'] for p in pages})
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROME
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--hide-scrollbars',
              '--allow-file-access-from-files', '--window-size=1280,1000'): opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    report, n_bad = {}, 0
    try:
        for p in pages:
            stem = Path(p['page']).stem
            probs, info = check_page(drv, (site/p['page']).as_uri(), exp.get(p['page'], []), shots, stem)
            report[p['page']] = dict(notebook=p['notebook'], problems=probs, **info)
            n_bad += bool(probs)
            print(f"{'FAIL' if probs else 'ok  '} {p['page']:<24} ({p['notebook']}): {info['images']} images, {info['math']} math, "
                  f"{info['names']} names" + ''.join(f'\n       - {x}' for x in probs))
    finally: drv.quit()
    for u in unknown: print(f"FAIL names documented on {u}, which is not a page: {', '.join(exp[u])}"); n_bad += 1
    (shots/'report.json').write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f'browser check: {len(pages) - n_bad + len(unknown)} of {len(pages)} pages pass; screenshots in {shots}/')
    sys.exit(1 if n_bad else 0)

if __name__ == '__main__': main(*sys.argv[1:])
