"""`kgen lab`: the lecture's live demos served on 127.0.0.1 by kgen's own Keras models.

Pages: "gan" (a 2-D GAN trained live, after GAN Lab), "rl" (a DQN agent learning
live, after ConvNetJS's rldemo) and "latent" (the pretrained generators' latent
spaces). Each page's models live in a worker thread; the browser gets state as
Server-Sent Events and posts controls as JSON.
"""

import sys
import threading
import webbrowser

from kgen.lab.server import LabServer


def default_pages():
    """A fresh {name: page} of every lab page (their workers start on the first request)."""
    from kgen.lab.gan_page import GANPage
    from kgen.lab.latent_page import LatentPage
    from kgen.lab.rl_page import RLPage

    return {"gan": GANPage(), "rl": RLPage(), "latent": LatentPage()}


def serve(host="127.0.0.1", port=0, open_browser=True, pages=None, ready=None):
    """Serve the lab until Ctrl-C (or until `ready`'s server is closed); prints the URL.

    Args:
        host: str, the address to bind (default "127.0.0.1"; anything else is reachable
            from other machines and prints a warning).
        port: int, the port (default 0: a free one).
        open_browser: bool, open the URL in the default browser (default True).
        pages: {name: LabPage} or None for `default_pages()`.
        ready: a callable given the running `LabServer` (for tests and embedding), or None.

    Examples:
        >>> kgen.lab.serve(port=8765, open_browser=False)
    """
    server = LabServer(default_pages() if pages is None else pages, host=host, port=port)
    if host not in ("127.0.0.1", "localhost"):
        print(f"warning: the lab is bound to {host}: anyone who can reach this machine can drive it.",
              file=sys.stderr)
    print(f"kgen lab: {server.url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    if ready is not None:
        ready(server)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("kgen lab: stopping", flush=True)
    finally:
        if not server.closing.is_set():
            server.closing.set()
            server.server_close()
            for page in server.pages.values():
                page.close()
    return server
