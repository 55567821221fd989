"""Check the built documentation site in a real browser, and its internal links.

Run after ``make -C doc html``, from anywhere::

    python doc/check_site.py [SCREENSHOT_DIR] [--html-dir doc/_build/html]

The script builds nothing. It serves the built site on 127.0.0.1 (a free
port, in a thread), opens it in headless Chromium through Selenium and checks
that

1. the home page loads and its title names skae;
2. the API page of ``skae.AutoencoderTransformer`` shows a "Parameters" table
   that names ``n_components``;
3. a gallery page shows at least one figure whose image has loaded
   (``naturalWidth > 0``);

saving a screenshot of each page in SCREENSHOT_DIR (a new temporary folder
when not given). Then it reads every built HTML file and checks that each
relative link (``href`` and ``src``) points to a file that exists and, where it
has a ``#fragment``, to an id that exists in that file (``srcset`` entries
too).

It prints one line per check and exits with status 1, listing every failure,
if anything is wrong; status 0 otherwise. It needs ``selenium`` and Debian's
``chromium`` and ``chromium-driver`` packages (``/usr/bin/chromium`` and
``/usr/bin/chromedriver``).
"""

import argparse
import functools
import http.server
import os
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
DEFAULT_HTML_DIR = HERE / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

INDEX_PAGE = "index.html"
API_PAGE = "generated/skae.AutoencoderTransformer.html"
GALLERY_PAGE = "auto_examples/plot_ae_vs_pca.html"
# Links with these schemes leave the site; they are not checked (offline).
EXTERNAL_SCHEMES = {"http", "https", "mailto", "ftp", "data", "javascript", "tel"}
# How long a page's images get to finish loading.
IMAGE_TIMEOUT = 20.0


class CheckFailed(Exception):
    """One check of the site failed; the message says what was expected."""


# -- serving -------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files without logging every request to the terminal."""

    def log_message(self, format, *args):
        pass


def serve(directory):
    """Serve ``directory`` on 127.0.0.1 at a free port; return the server."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


# -- the browser checks ----------------------------------------------------------


def start_browser():
    """Headless Chromium from Debian's packages, driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            raise CheckFailed(
                f"{path} is missing: install Debian's chromium and "
                "chromium-driver packages (apt-get install -y chromium "
                "chromium-driver)."
            )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(
        service=Service(executable_path=CHROMEDRIVER), options=options
    )


def check_index(driver, base_url, shots):
    """The home page loads, with skae in its title and a visible heading."""
    from selenium.webdriver.common.by import By

    driver.get(base_url + INDEX_PAGE)
    title = driver.title
    if not title.lower().startswith("skae"):
        raise CheckFailed(f"{INDEX_PAGE}: the title is {title!r}, not one about skae")
    heading = driver.find_element(By.CSS_SELECTOR, "main h1, article h1, h1")
    if not heading.is_displayed() or "skae" not in heading.text.lower():
        raise CheckFailed(f"{INDEX_PAGE}: no visible <h1> naming skae")
    driver.save_screenshot(str(shots / "index.png"))
    return f"title {title!r}"


def check_api_page(driver, base_url, shots):
    """The class page renders its numpydoc "Parameters" table."""
    from selenium.webdriver.common.by import By

    driver.get(base_url + API_PAGE)
    terms = driver.find_elements(By.CSS_SELECTOR, "dl.field-list > dt")
    parameters = [t for t in terms if t.text.strip().startswith("Parameters")]
    if not parameters:
        found = sorted({t.text.strip().rstrip(":") for t in terms})
        raise CheckFailed(
            f"{API_PAGE}: no 'Parameters' field list (field lists found: {found})"
        )
    table = parameters[0].find_element(By.XPATH, "following-sibling::dd[1]")
    names = [n.text for n in table.find_elements(By.CSS_SELECTOR, "dt strong")]
    if "n_components" not in names:
        raise CheckFailed(
            f"{API_PAGE}: the Parameters table does not name n_components "
            f"(names: {names[:10]})"
        )
    if not table.is_displayed():
        raise CheckFailed(f"{API_PAGE}: the Parameters table is not displayed")
    driver.save_screenshot(str(shots / "api-autoencodertransformer.png"))
    driver.execute_script("arguments[0].scrollIntoView(true);", parameters[0])
    driver.save_screenshot(str(shots / "api-autoencodertransformer-parameters.png"))
    return f"{len(names)} parameters, the first {names[0]!r}"


def check_gallery_page(driver, base_url, shots):
    """A gallery page shows at least one figure that loaded."""
    from selenium.webdriver.common.by import By

    driver.get(base_url + GALLERY_PAGE)
    images = driver.find_elements(
        By.CSS_SELECTOR, "img.sphx-glr-single-img, img.sphx-glr-multi-img"
    )
    if not images:
        raise CheckFailed(f"{GALLERY_PAGE}: no sphinx-gallery figure on the page")
    driver.execute_script("arguments[0].scrollIntoView(true);", images[0])
    deadline = time.monotonic() + IMAGE_TIMEOUT
    widths = []
    while time.monotonic() < deadline:
        widths = driver.execute_script(
            "return arguments[0].map(i => i.complete ? i.naturalWidth : -1);",
            images,
        )
        if all(w >= 0 for w in widths):
            break
        time.sleep(0.2)
    loaded = [w for w in widths if w > 0]
    if not loaded:
        sources = [i.get_attribute("src") for i in images]
        raise CheckFailed(
            f"{GALLERY_PAGE}: no figure loaded (naturalWidth 0): {sources}"
        )
    driver.save_screenshot(str(shots / "gallery-plot-ae-vs-pca.png"))
    return f"{len(loaded)} of {len(images)} figures loaded, widths {loaded}"


# -- the link checks -------------------------------------------------------------


class PageParser(HTMLParser):
    """Collect a page's ids (link targets) and its relative links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value is not None:
                self.links.append((tag, key, value.strip()))
        # srcset: "url [descriptor], url [descriptor], ..."
        for candidate in (attrs.get("srcset") or "").split(","):
            if candidate.strip():
                self.links.append((tag, "srcset", candidate.split()[0]))


@functools.cache
def parse_page(path):
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def check_links(root):
    """Every relative href, src and srcset of every page resolves; return problems."""
    root = root.resolve()
    # _static holds the theme's assets, among them Jinja templates named .html
    # that are not pages of the site.
    pages = sorted(
        p for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts
    )
    problems, checked = [], 0
    for page in pages:
        for tag, key, link in parse_page(page).links:
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL_SCHEMES or link.startswith("//"):
                continue
            if parts.scheme:
                problems.append(f"{page.relative_to(root)}: unknown link {link!r}")
                continue
            checked += 1
            path, fragment = unquote(parts.path), unquote(parts.fragment)
            if not path:
                target = page
            elif path.startswith("/"):
                target = (root / path.lstrip("/")).resolve()
            else:
                target = (page.parent / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(root)}: <{tag} {key}={link!r}>"
            if root not in target.parents and target != root:
                problems.append(f"{where} points outside the site")
            elif not target.is_file():
                problems.append(f"{where} points to a missing file")
            elif fragment and target.suffix == ".html":
                if fragment not in parse_page(target).ids:
                    problems.append(
                        f"{where}: no id {fragment!r} in {target.relative_to(root)}"
                    )
    return len(pages), checked, problems


# -- main ------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "screenshots",
        nargs="?",
        help="folder for the screenshots (created if needed; default: a new "
        "temporary folder)",
    )
    parser.add_argument(
        "--html-dir",
        default=str(DEFAULT_HTML_DIR),
        help="the built site (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    root = Path(args.html_dir)
    if not (root / INDEX_PAGE).is_file():
        print(
            f"FAIL: {root / INDEX_PAGE} does not exist; build the site first "
            "(make -C doc html).",
            file=sys.stderr,
        )
        return 1
    shots = Path(args.screenshots or tempfile.mkdtemp(prefix="skae-site-"))
    shots.mkdir(parents=True, exist_ok=True)

    failures = []
    server = serve(root)
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"serving {root} at {base_url}")
    try:
        driver = start_browser()
    except Exception as exc:  # no browser: the page checks cannot run at all
        failures.append(f"browser: could not start headless Chromium: {exc}")
        driver = None
    if driver is not None:
        try:
            for name, check in (
                ("home page", check_index),
                ("API page", check_api_page),
                ("gallery page", check_gallery_page),
            ):
                try:
                    detail = check(driver, base_url, shots)
                except CheckFailed as exc:
                    failures.append(f"{name}: {exc}")
                    print(f"FAIL {name}: {exc}")
                except Exception as exc:  # Selenium's errors: report, go on
                    failures.append(f"{name}: {type(exc).__name__}: {exc}")
                    print(f"FAIL {name}: {type(exc).__name__}: {exc}")
                else:
                    print(f"ok   {name}: {detail}")
        finally:
            driver.quit()
    server.shutdown()
    server.server_close()

    n_pages, n_links, problems = check_links(root)
    if problems:
        print(f"FAIL links: {len(problems)} broken of {n_links} in {n_pages} pages")
        failures.extend(f"link: {p}" for p in problems)
    else:
        print(f"ok   links: {n_links} relative links in {n_pages} pages all resolve")

    print(f"screenshots in {shots}:")
    for shot in sorted(shots.glob("*.png")):
        print(f"  {shot.name}")
    if failures:
        print(f"\n{len(failures)} problem(s) found:", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
