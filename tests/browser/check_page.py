#!/usr/bin/python3
"""Loads an evaluation page (report.html) from disk in headless Chromium and
checks what a reader would see:

1. the page itself logs nothing to the console (it has no scripts, so any
   console line is Chromium complaining, e.g. about a blocked resource);
2. every <img> decodes (naturalWidth > 0) and every <audio> loads its
   metadata (a positive duration): checked inside the browser, on a copy of
   the page next to it (same relative links) with a small probe script that
   also records console errors and failed resource loads;
3. the static links agree: data: images are PNGs, relative audio links name
   existing files;
4. a screenshot is not blank (enough non-white pixels, some variation).

    /usr/bin/python3 tests/browser/check_page.py OUT/report.html SCREENSHOT.png [--min-audio N] [--min-images N]

Exit 0 when every check passes, 77 when Chromium is missing (a skip), 1
otherwise with one line per problem. Run by tests/browser/report_page_test.cpp.
"""
import argparse
import base64
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROBE = r"""<script>
(function () {
  const problems = [];
  const oldError = console.error;
  console.error = function (...args) { problems.push('console.error: ' + args.join(' ')); oldError.apply(console, args); };
  window.addEventListener('error', (e) => {
    const t = e.target;
    problems.push(t && t !== window ? 'failed to load ' + (t.currentSrc || t.src || t.href || t.tagName) : 'error: ' + e.message);
  }, true);
  window.addEventListener('load', async () => {
    const media = [];
    for (const a of document.querySelectorAll('audio')) {
      if (a.readyState < 1 && !a.error) {
        await new Promise((done) => {
          a.addEventListener('loadedmetadata', done);
          a.addEventListener('error', done);
          setTimeout(done, 8000);
        });
      }
      media.push({kind: 'audio', src: a.getAttribute('src'), ok: a.readyState >= 1 && a.duration > 0,
                  duration: a.duration, error: a.error ? a.error.code : 0});
    }
    for (const i of document.querySelectorAll('img')) {
      media.push({kind: 'img', src: (i.getAttribute('src') || '').slice(0, 40), ok: i.complete && i.naturalWidth > 0});
    }
    const pre = document.createElement('pre');
    pre.id = 'acc-probe';
    pre.textContent = JSON.stringify({problems, media, svg: document.querySelectorAll('svg').length});
    document.body.appendChild(pre);
  });
})();
</script>"""


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.audio, self.scripts = [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "audio":
            self.audio.append(a.get("src", ""))
        elif tag == "script":
            self.scripts += 1


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_browser(browser, args, url, profile):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"] + args + [url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page")
    parser.add_argument("screenshot")
    parser.add_argument("--min-audio", type=int, default=0)
    parser.add_argument("--min-images", type=int, default=0)
    args = parser.parse_args()
    browser = chromium()
    if browser is None:
        print("SKIP: chromium is not installed (Debian package chromium)")
        return 77
    page = os.path.abspath(args.page)
    problems = []
    text = open(page, encoding="utf-8").read()

    links = Links()
    links.feed(text)
    if links.scripts:
        problems.append(f"the page has {links.scripts} scripts (it should be static)")
    for src in links.images:
        if src.startswith("data:image/png;base64,"):
            if not base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n":
                problems.append("an embedded image is not a PNG")
        else:
            problems.append(f"image not embedded: {src[:60]}")
    for src in links.audio:
        if re.match(r"^[a-z]+:", src) or src.startswith("/"):
            problems.append(f"audio link is not relative: {src}")
        elif not os.path.isfile(os.path.join(os.path.dirname(page), src.replace("%20", " "))):
            problems.append(f"audio link does not resolve: {src}")
    if len(links.audio) < args.min_audio:
        problems.append(f"{len(links.audio)} audio players, expected at least {args.min_audio}")
    if len(links.images) < args.min_images:
        problems.append(f"{len(links.images)} images, expected at least {args.min_images}")

    with tempfile.TemporaryDirectory() as profile:
        url = "file://" + page
        # 1 and 4: the page as it is.
        shot = run_browser(browser, ["--window-size=1280,2000", f"--screenshot={os.path.abspath(args.screenshot)}"],
                           url, profile)
        for line in shot.stderr.splitlines():
            if ":CONSOLE" in line:
                problems.append("console: " + line.split("]", 1)[-1].strip())
        if shot.returncode != 0 or not os.path.isfile(args.screenshot):
            problems.append(f"no screenshot (chromium exit {shot.returncode})")
        # 2: a probed copy next to the page.
        probe_path = os.path.join(os.path.dirname(page), ".report.probe.html")
        with open(probe_path, "w", encoding="utf-8") as f:
            f.write(text.replace("<head>", "<head>" + PROBE, 1))
        try:
            dom = run_browser(browser, ["--virtual-time-budget=15000", "--dump-dom"], "file://" + probe_path, profile)
        finally:
            os.remove(probe_path)
    m = re.search(r'<pre id="acc-probe">(.*?)</pre>', dom.stdout, re.S)
    if not m:
        problems.append("the probe did not report (page did not finish loading)")
    else:
        result = json.loads(html.unescape(m.group(1)))
        problems += ["in the browser: " + p for p in result["problems"]]
        for item in result["media"]:
            if not item["ok"]:
                problems.append(f"in the browser: {item['kind']} {item['src']} did not load ({item})")
        audio_ok = sum(1 for i in result["media"] if i["kind"] == "audio" and i["ok"])
        print(f"browser: {audio_ok} audio players loaded, "
              f"{sum(1 for i in result['media'] if i['kind'] == 'img' and i['ok'])} images decoded, "
              f"{result['svg']} SVG piano rolls")

    if os.path.isfile(args.screenshot):
        import matplotlib.image
        pixels = matplotlib.image.imread(args.screenshot)[:, :, :3]
        ink = float((pixels.min(axis=2) < 0.9).mean())
        print(f"screenshot: {pixels.shape[1]}x{pixels.shape[0]}, {ink:.3f} of the pixels not white, "
              f"std {pixels.std():.3f}")
        if ink < 0.02 or pixels.std() < 0.02:
            problems.append(f"the screenshot looks blank ({ink:.3f} of the pixels not white)")
    for p in problems:
        print("problem: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
