# The baseline of view.bench.mjs: openslide-python's DeepZoomGenerator behind a minimal threaded
# HTTP server (the shape of openslide-python's deepzoom_server example, without Flask).
#   python3 view-dz.py SLIDE PORT QUALITY
import io, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import openslide
from openslide.deepzoom import DeepZoomGenerator

path, port, quality = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dz = DeepZoomGenerator(openslide.OpenSlide(path), tile_size=254, overlap=1, limit_bounds=False)
TILE = re.compile(r'^/slides/0_files/(\d+)/(\d+)_(\d+)\.jpeg$')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        m = TILE.match(self.path)
        try:
            tile = dz.get_tile(int(m.group(1)), (int(m.group(2)), int(m.group(3))))
        except Exception:
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        buf = io.BytesIO()
        tile.save(buf, 'jpeg', quality=quality)
        body = buf.getvalue()
        self.send_response(200)
        self.send_header('Content-Type', 'image/jpeg')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
