#!/usr/bin/env python3
"""Contract tests for pk-central: every row of ../shared/api/central-order-api.md
exercised with real HTTP requests against a server this script starts on a free
loopback port in a temporary directory (stopped with SIGTERM on every path; a
non-zero exit, e.g. a LeakSanitizer report, fails the test).

Usage: test_central.py --server PATH/pk-central --group auth|tus|orders|pickups|faults
Only the Python standard library: the signer here is written from the contract,
independently of sync/sign.c, so both are checked against the worked example."""
import argparse, base64, calendar, hashlib, hmac, http.client, json, os, random, shutil, signal
import socket, subprocess, sys, tempfile, threading, time, traceback, uuid

KEY1 = bytes(range(32))
KEY2 = bytes(range(32, 64))
EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def ts_now(offset=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def sign(key, method, target, ts, body):
    canon = "\n".join([method, target, ts, hashlib.sha256(body).hexdigest()])
    return "v1=" + hmac.new(key, canon.encode(), hashlib.sha256).hexdigest()


class Server:
    def __init__(self, binary, extra=()):
        self.dir = tempfile.mkdtemp(prefix="pk-central-test-")
        self.port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        args = [binary, "--listen", "127.0.0.1:0", "--data", os.path.join(self.dir, "data"),
                "--kiosk", "k1:" + KEY1.hex(), "--kiosk", "k2:" + KEY2.hex(),
                "--port-file", self.port_file, "--seed", "7"] + list(extra)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop(check=False)
                raise RuntimeError("pk-central did not start: " + self.output())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self, check=True):
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "killed"
        else:
            rc = self.proc.returncode
        out = self.output()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if check and (rc != 0 or "Sanitizer" in out or "runtime error" in out):
            raise AssertionError("pk-central exited %r:\n%s" % (rc, out[-6000:]))

    # -- clients ----------------------------------------------------------------
    def req(self, method, target, body=b"", headers=None, kiosk="k1", key=None, ts=None,
            signed=True, sig=None, timeout=30):
        """Signed request; returns (status, headers dict lower-case, body bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        h = dict(headers or {})
        if signed:
            key = key if key is not None else (KEY1 if kiosk == "k1" else KEY2)
            ts = ts if ts is not None else ts_now()
            h.setdefault("X-Kiosk-Id", kiosk)
            h.setdefault("X-Timestamp", ts)
            h.setdefault("X-Signature", sig if sig is not None else sign(key, method, target, ts, body))
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, target, body=body if body or method in ("POST", "PATCH") else None,
                      headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def raw(self, method, target, body=b"", headers=None, kiosk="k1", timeout=15):
        """Signed request over a plain socket; returns every byte until close."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        key = KEY1 if kiosk == "k1" else KEY2
        ts = ts_now()
        h = {"Host": "127.0.0.1", "X-Kiosk-Id": kiosk, "X-Timestamp": ts,
             "X-Signature": sign(key, method, target, ts, body), "Content-Length": str(len(body)),
             "Connection": "close"}
        h.update(headers or {})
        head = "%s %s HTTP/1.1\r\n" % (method, target) + "".join("%s: %s\r\n" % kv for kv in h.items())
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(head.encode() + b"\r\n" + body)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def admin(self, method, path, body=None):
        st, h, data = self.req(method, path, body=body if body is not None else b"", signed=False)
        return st, (json.loads(data) if data else None)

    def store(self):
        st, j = self.admin("GET", "/admin/store")
        assert st == 200, st
        return j

    # -- tus helpers ------------------------------------------------------------
    def tus(self, method, target, body=b"", headers=None, **kw):
        h = {"Tus-Resumable": "1.0.0"}
        h.update(headers or {})
        return self.req(method, target, body=body, headers=h, **kw)

    def create(self, data, kind="photo", sha=None, length=None, **kw):
        sha = sha or hashlib.sha256(data).hexdigest()
        meta = "sha256 %s,kind %s,content-type %s" % (b64(sha.encode()), b64(kind.encode()),
                                                      b64(b"image/jpeg"))
        return self.tus("POST", "/v1/uploads",
                        headers={"Upload-Length": str(length if length is not None else len(data)), "Upload-Metadata": meta}, **kw)

    def patch(self, loc, offset, chunk, algo="sha256", digest=None, **kw):
        if digest is None:
            digest = hashlib.new(algo, chunk).digest()
        return self.tus("PATCH", loc, body=chunk, headers={
            "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset),
            "Upload-Checksum": "%s %s" % (algo, b64(digest))}, **kw)

    def upload(self, data, kind="photo"):
        st, h, body = self.create(data, kind)
        if st == 200:
            return json.loads(body)["asset_id"]
        assert st == 201, (st, body)
        st, h, body = self.patch(h["location"], 0, data)
        assert st == 204, (st, body)
        return h["x-asset-id"]


def b64(b):
    return base64.b64encode(b).decode()


def err_code(body):
    return json.loads(body)["error"]["code"]


def eq(got, want, what=""):
    assert got == want, "%s: got %r, want %r" % (what, got, want)


def make_order(oid, kiosk, photo, master, channel="kiosk", state="locked", **extra):
    t = ts_now(-60)
    o = {"order_id": oid, "kiosk_id": kiosk, "store_id": "s1", "code": "K7Q-4RM",
         "created_at": t, "locked_at": t, "channel": channel, "currency": "GBP",
         "total_minor": 1299, "price_list": "2026-11",
         "items": [{"item_id": str(uuid.uuid4()), "asset_id": photo, "master_asset_id": master,
                    "sku": "PRINT-6X4", "paper": "glossy", "quantity": 2,
                    "crop": {"x": 0.05, "y": 0.0, "w": 0.9, "h": 1.0}, "rotate": 0,
                    "render": {"profile": "pk-glossy.icc", "intent": "relative", "bpc": True,
                               "dpi": 300, "master_sha256": master}}],
         "state": state}
    o.update(extra)
    return o


def post_order(srv, o, key=None, kiosk="k1", raw_body=None):
    body = raw_body if raw_body is not None else json.dumps(o).encode()
    return srv.req("POST", "/v1/orders", body=body, kiosk=kiosk,
                   headers={"Idempotency-Key": key if key is not None else o["order_id"],
                            "Content-Type": "application/json"})


def event(type_, at, eid=None, **extra):
    e = {"event_id": eid or str(uuid.uuid4()), "type": type_, "at": at, "actor": "staff:0042",
         "detail": {}}
    e.update(extra)
    return e


def post_event(srv, oid, e, kiosk="k1"):
    return srv.req("POST", "/v1/orders/%s/events" % oid, body=json.dumps(e).encode(), kiosk=kiosk)


def assets_for(srv):
    return (srv.upload(os.urandom(3000), "photo"), srv.upload(os.urandom(5000), "master"))


def order_row(srv, oid):
    for o in srv.store()["orders"]:
        if o["order_id"] == oid:
            return o
    return None


# ---- auth ----------------------------------------------------------------------

def test_python_signer_reproduces_contract_example(srv):
    body = (b'{"event_id":"5b1c7a2e-0d7e-4c56-9a65-1f3f7b2f4e01","type":"printed",'
            b'"at":"2026-11-25T10:15:00Z","actor":"system","detail":{}}')
    eq(hashlib.sha256(body).hexdigest(),
       "a15a0c83b70f5a74e05f3e24c00672235b7d64c1d2c7d08dfa08d3827e84dcaa", "body hash")
    eq(sign(bytes(range(32)), "POST", "/v1/orders/0f8e2a9c-3b7d-4d11-8c2e-6a5b4c3d2e1f/events",
            "2026-11-25T10:15:02Z", body),
       "v1=a00a52a906869af52b37401e2c9eb663d5a9c2f6c25ea67e8565e51a3cc54b73", "signature")
    eq(hashlib.sha256(b"").hexdigest(), EMPTY_SHA, "empty body hash")


def test_signed_request_is_accepted(srv):
    st, h, body = srv.req("GET", "/v1/kiosks/k1/pickups")
    eq(st, 200, "status")
    st, h, body = srv.req("OPTIONS", "/v1/uploads")
    eq(st, 204, "OPTIONS is signed too")


def test_timestamp_missing_malformed_or_skewed_is_clock_skew_with_date(srv):
    for ts in (None, "", "2026-11-25 10:15:02", "2026-11-25T10:15:02.1Z", ts_now(-400), ts_now(400)):
        h = {}
        if ts is not None:
            h["X-Timestamp"] = ts
        target = "/v1/kiosks/k1/pickups"
        st, hd, body = srv.req("GET", target, signed=False, headers=dict(
            h, **{"X-Kiosk-Id": "k1", "X-Signature": sign(KEY1, "GET", target, ts or "", b"")}))
        eq(st, 401, "status for ts %r" % ts)
        eq(err_code(body), "clock-skew", "code for ts %r" % ts)
        assert "date" in hd, "clock-skew answer carries Date"
        server_time = calendar.timegm(time.strptime(hd["date"], "%a, %d %b %Y %H:%M:%S GMT"))
        assert abs(server_time - time.time()) < 5, hd["date"]


def test_timestamp_within_300s_is_accepted(srv):
    for off in (-250, 250):
        st, h, body = srv.req("GET", "/v1/kiosks/k1/pickups", ts=ts_now(off))
        eq(st, 200, "status at offset %d" % off)


def test_kiosk_corrects_its_clock_from_date_and_retries(srv, binary):
    s2 = Server(binary, ["--clock-offset", "-3600"])
    try:
        st, h, body = s2.req("GET", "/v1/kiosks/k1/pickups")
        eq((st, err_code(body)), (401, "clock-skew"), "kiosk clock 1 h ahead of the server")
        server_time = calendar.timegm(time.strptime(h["date"], "%a, %d %b %Y %H:%M:%S GMT"))
        offset = server_time - time.time()
        assert abs(offset + 3600) < 5, offset
        st, h, body = s2.req("GET", "/v1/kiosks/k1/pickups", ts=ts_now(offset))
        eq(st, 200, "re-signed with the offset from Date")
    finally:
        s2.stop()


def test_timestamp_checked_before_signature(srv):
    st, h, body = srv.req("GET", "/v1/kiosks/k1/pickups", ts=ts_now(-1000), sig="v1=" + "0" * 64)
    eq((st, err_code(body)), (401, "clock-skew"), "skewed and unsigned")


def test_bad_missing_or_unknown_signature_is_bad_signature(srv):
    target = "/v1/kiosks/k1/pickups"
    cases = [dict(sig="v1=" + "0" * 64), dict(sig=""), dict(sig="v2=" + sign(KEY1, "GET", target, ts_now(), b"")[3:]),
             dict(key=KEY2), dict(kiosk="nobody", key=KEY1)]
    for c in cases:
        st, h, body = srv.req("GET", target, **c)
        eq((st, err_code(body)), (401, "bad-signature"), "case %r" % c)
    # signature over another query string, or over another body
    ts = ts_now()
    st, h, body = srv.req("GET", target + "?after=c0", ts=ts, sig=sign(KEY1, "GET", target, ts, b""))
    eq((st, err_code(body)), (401, "bad-signature"), "query is signed")
    e = json.dumps(event("printed", ts_now())).encode()
    st, h, body = srv.req("POST", "/v1/orders/x/events", body=e, ts=ts,
                          sig=sign(KEY1, "POST", "/v1/orders/x/events", ts, e + b" "))
    eq((st, err_code(body)), (401, "bad-signature"), "body is signed")


def test_request_about_another_kiosk_is_wrong_kiosk(srv):
    st, h, body = srv.req("GET", "/v1/kiosks/k1/pickups", kiosk="k2")
    eq((st, err_code(body)), (403, "wrong-kiosk"), "pickups of k1 asked by k2")
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    st, h, body = post_order(srv, o, kiosk="k2")
    eq((st, err_code(body)), (403, "wrong-kiosk"), "order body kiosk_id k1 sent by k2")
    st, h, body = post_order(srv, o)
    eq(st, 201, "same order by k1")
    st, h, body = post_event(srv, o["order_id"], event("printed", ts_now()), kiosk="k2")
    eq((st, err_code(body)), (403, "wrong-kiosk"), "event on k1's order sent by k2")


def test_errors_have_the_contract_shape(srv):
    for method, target in (("GET", "/v1/nowhere"), ("GET", "/v1/assets/" + "0" * 64),
                           ("POST", "/v1/orders/nope/events")):
        st, h, body = srv.req(method, target, body=b"{}" if method == "POST" else b"")
        j = json.loads(body)
        assert set(j) == {"error"} and set(j["error"]) == {"code", "message"}, j
        assert st >= 400, st


def test_admin_is_unsigned(srv):
    st, j = srv.admin("GET", "/admin/store")
    eq(st, 200, "admin store")
    eq(sorted(j), ["assets", "events", "orders"], "store keys")


# ---- tus uploads and asset downloads -------------------------------------------

def test_options_advertises_tus(srv):
    st, h, body = srv.req("OPTIONS", "/v1/uploads")
    eq(st, 204, "status")
    eq(h.get("tus-version"), "1.0.0", "Tus-Version")
    eq(h.get("tus-resumable"), "1.0.0", "Tus-Resumable")
    eq(set(h.get("tus-extension").split(",")), {"creation", "checksum"}, "Tus-Extension")
    eq(set(h.get("tus-checksum-algorithm").split(",")), {"sha1", "sha256"}, "algorithms")
    assert int(h.get("tus-max-size")) > 0


def test_other_tus_version_is_412(srv):
    data = b"x" * 10
    for v in ("0.2.2", None):
        h = {"Upload-Length": "10", "Upload-Metadata": "sha256 %s,kind %s,content-type %s" % (
            b64(hashlib.sha256(data).hexdigest().encode()), b64(b"photo"), b64(b"image/jpeg"))}
        if v:
            h["Tus-Resumable"] = v
        st, hd, body = srv.req("POST", "/v1/uploads", headers=h)
        eq(st, 412, "version %r" % v)
        eq(hd.get("tus-version"), "1.0.0", "Tus-Version on 412")
        eq(hd.get("tus-resumable"), "1.0.0", "Tus-Resumable on 412")


def test_creation_checks_length_and_metadata(srv):
    data = os.urandom(100)
    sha = hashlib.sha256(data).hexdigest()
    st, h, body = srv.create(data, length=0)
    eq(st, 400, "Upload-Length 0")
    _, oh, _ = srv.req("OPTIONS", "/v1/uploads")
    st, h, body = srv.create(data, length=int(oh["tus-max-size"]) + 1)
    eq(st, 413, "over Tus-Max-Size")
    good = {"sha256": b64(sha.encode()), "kind": b64(b"photo"), "content-type": b64(b"image/jpeg")}
    for drop in good:
        meta = ",".join("%s %s" % (k, v) for k, v in good.items() if k != drop)
        st, h, body = srv.tus("POST", "/v1/uploads", headers={"Upload-Length": "100", "Upload-Metadata": meta})
        eq(st, 400, "metadata without %s" % drop)
    for bad in ({"kind": b64(b"video")}, {"sha256": b64(sha.upper().encode())}, {"sha256": "!!notb64"},
                {"filename": b64(b"IMG_0001 Jane Doe.jpg")}):
        meta = ",".join("%s %s" % kv for kv in dict(good, **bad).items())
        st, h, body = srv.tus("POST", "/v1/uploads", headers={"Upload-Length": "100", "Upload-Metadata": meta})
        eq(st, 400, "metadata %r" % bad)


def test_full_upload_with_chunks_conflict_resume_and_checksums(srv):
    data = os.urandom(300 * 1024)
    sha = hashlib.sha256(data).hexdigest()
    st, h, body = srv.create(data)
    eq(st, 201, "create")
    loc = h["location"]
    assert loc.startswith("/v1/uploads/"), loc
    eq(h.get("tus-resumable"), "1.0.0", "Tus-Resumable on 201")
    st, h, _ = srv.patch(loc, 0, data[:100 * 1024])
    eq((st, h.get("upload-offset")), (204, str(100 * 1024)), "first chunk")
    # offset mismatch: 409, then HEAD tells where to resume
    st, h, _ = srv.patch(loc, 0, data[:100 * 1024])
    eq(st, 409, "stale offset")
    st, h, body = srv.tus("HEAD", loc)
    eq((st, h.get("upload-offset"), h.get("upload-length")), (200, str(100 * 1024), str(len(data))), "HEAD")
    eq(h.get("cache-control"), "no-store", "Cache-Control")
    assert "sha256 " + b64(sha.encode()) in h.get("upload-metadata"), h.get("upload-metadata")
    assert "x-asset-id" not in h, "no asset id before completion"
    # chunk digest mismatch: 460, nothing applied
    chunk = data[100 * 1024:200 * 1024]
    st, h, body = srv.patch(loc, 100 * 1024, chunk, digest=hashlib.sha256(b"other").digest())
    eq((st, err_code(body)), (460, "checksum-mismatch"), "bad chunk digest")
    eq(h.get("tus-resumable"), "1.0.0", "Tus-Resumable on 460")
    st, h, _ = srv.tus("HEAD", loc)
    eq(h.get("upload-offset"), str(100 * 1024), "offset unchanged after 460")
    # another algorithm: 400; sha1 accepted
    st, h, _ = srv.patch(loc, 100 * 1024, chunk, algo="md5")
    eq(st, 400, "md5 checksum")
    st, h, _ = srv.patch(loc, 100 * 1024, chunk, algo="sha1")
    eq((st, h.get("upload-offset")), (204, str(200 * 1024)), "sha1 chunk")
    # missing checksum: 400; wrong content type: 415
    st, h, _ = srv.tus("PATCH", loc, body=data[200 * 1024:], headers={
        "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(200 * 1024)})
    eq(st, 400, "no Upload-Checksum")
    st, h, _ = srv.tus("PATCH", loc, body=data[200 * 1024:], headers={
        "Content-Type": "text/plain", "Upload-Offset": str(200 * 1024),
        "Upload-Checksum": "sha256 " + b64(hashlib.sha256(data[200 * 1024:]).digest())})
    eq(st, 415, "wrong Content-Type")
    st, h, _ = srv.patch(loc, 200 * 1024, data[200 * 1024:])
    eq(st, 204, "last chunk")
    eq(h.get("upload-offset"), str(len(data)), "final offset")
    eq(h.get("x-asset-id"), sha, "X-Asset-Id on the final 204")
    st, h, _ = srv.tus("HEAD", loc)
    eq((h.get("upload-offset"), h.get("upload-length"), h.get("x-asset-id")), (str(len(data)), str(len(data)), sha),
       "HEAD once complete")
    # the server holds it once: a new POST with that sha256 answers 200 + asset_id
    st, h, body = srv.create(data)
    eq((st, json.loads(body)["asset_id"]), (200, sha), "dedup by sha256")
    eq(h.get("tus-resumable"), "1.0.0", "Tus-Resumable on 200")
    a = [x for x in srv.store()["assets"] if x["sha256"] == sha][0]
    eq((a["size"], a["kind"]), (len(data), "photo"), "admin asset row")


def test_whole_file_mismatch_deletes_the_upload(srv):
    data = os.urandom(2048)
    st, h, _ = srv.create(data, sha=hashlib.sha256(b"something else").hexdigest())
    eq(st, 201, "create")
    loc = h["location"]
    st, h, _ = srv.patch(loc, 0, data[:1024])
    eq(st, 204, "first half")
    st, h, body = srv.patch(loc, 1024, data[1024:])
    eq((st, err_code(body)), (460, "file-checksum-mismatch"), "whole file")
    st, h, _ = srv.tus("HEAD", loc)
    eq(st, 404, "HEAD after file-checksum-mismatch")
    st, h, _ = srv.patch(loc, 1024, data[1024:])
    eq(st, 404, "PATCH after file-checksum-mismatch")
    assert not [a for a in srv.store()["assets"] if a["sha256"] == hashlib.sha256(data).hexdigest()]


def test_head_returns_the_metadata_it_was_given(srv):
    data = os.urandom(100)
    ct = "image/" + "x" * 121  # the longest content-type accepted (127 bytes)
    meta = {"sha256": hashlib.sha256(data).hexdigest(), "kind": "master", "content-type": ct}
    st, h, _ = srv.tus("POST", "/v1/uploads", headers={"Upload-Length": "100", "Upload-Metadata": ",".join(
        "%s %s" % (k, b64(v.encode())) for k, v in meta.items())})
    eq(st, 201, "create")
    st, h, _ = srv.tus("HEAD", h["location"])
    got = dict(p.split(" ") for p in h["upload-metadata"].split(","))
    eq({k: base64.b64decode(v).decode() for k, v in got.items()}, meta, "Upload-Metadata round trip")


def test_unknown_upload_is_404(srv):
    for m in ("HEAD", "PATCH"):
        st, h, _ = (srv.tus("HEAD", "/v1/uploads/0123456789abcdef") if m == "HEAD"
                    else srv.patch("/v1/uploads/0123456789abcdef", 0, b"abc"))
        eq(st, 404, m)
        eq(h.get("tus-resumable"), "1.0.0", "Tus-Resumable on 404")


def test_expired_upload_is_410_and_oversized_chunk_413(srv, binary):
    s2 = Server(binary, ["--upload-ttl", "1", "--max-chunk", "65536", "--max-upload", "1000000"])
    try:
        _, oh, _ = s2.req("OPTIONS", "/v1/uploads")
        eq(oh.get("tus-max-size"), "1000000", "--max-upload sets Tus-Max-Size")
        data = os.urandom(100000)
        st, h, _ = s2.create(data)
        loc = h["location"]
        st, h, body = s2.patch(loc, 0, data)
        eq(st, 413, "chunk over --max-chunk")
        time.sleep(2.1)
        st, h, _ = s2.tus("HEAD", loc)
        eq(st, 410, "HEAD on expired upload")
        st, h, _ = s2.tus("HEAD", loc)
        eq(st, 404, "expired upload is gone afterwards")
        st, h, _ = s2.create(data)
        st, h, _ = s2.patch(h["location"], 0, data[:1000])
        eq(st, 204, "fresh upload works")
    finally:
        s2.stop()


def test_asset_download_with_etag_and_ranges(srv):
    data = os.urandom(3 * 1024 * 1024 + 17)
    # upload in 1 MiB chunks like a kiosk would
    st, h, _ = srv.create(data)
    loc, off = h["location"], 0
    while off < len(data):
        st, h, _ = srv.patch(loc, off, data[off:off + 1024 * 1024])
        assert st == 204, st
        off = int(h["upload-offset"])
    sha = h["x-asset-id"]
    st, h, body = srv.req("GET", "/v1/assets/" + sha)
    eq((st, h.get("etag")), (200, '"%s"' % hashlib.sha256(data).hexdigest()), "GET")
    assert body == data, "bytes differ"
    got = b""
    while len(got) < len(data):
        end = min(len(got) + 1024 * 1024, len(data)) - 1
        st, h, body = srv.req("GET", "/v1/assets/" + sha, headers={"Range": "bytes=%d-%d" % (len(got), end)})
        eq(st, 206, "range status")
        eq(h.get("content-range"), "bytes %d-%d/%d" % (len(got), end, len(data)), "Content-Range")
        eq(h.get("etag"), '"%s"' % sha, "ETag on 206")
        got += body
    assert got == data, "ranged bytes differ"
    st, h, body = srv.req("GET", "/v1/assets/" + sha, headers={"Range": "bytes=-10"})
    eq((st, body), (206, data[-10:]), "suffix range")
    st, h, body = srv.req("GET", "/v1/assets/" + sha, headers={"Range": "bytes=%d-" % len(data)})
    eq(st, 416, "unsatisfiable range")
    eq(h.get("content-range"), "bytes */%d" % len(data), "Content-Range on 416")
    st, h, body = srv.req("GET", "/v1/assets/" + "ab" * 32)
    eq(st, 404, "unknown asset")
    # a body-shaping fault reads the range into memory instead of streaming it
    set_faults(srv, [{"route": "GET /v1/assets/*", "action": "trickle", "ms": 200}])
    st, h, body = srv.req("GET", "/v1/assets/" + sha, headers={"Range": "bytes=100-199"})
    set_faults(srv, [])
    eq((st, body), (206, data[100:200]), "trickled range")


# ---- orders and events ---------------------------------------------------------

def test_order_created_then_same_body_any_key_order_is_200(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    st, h, body = post_order(srv, o)
    eq(st, 201, "create")
    eq(json.loads(body), o, "201 carries the stored order")
    shuffled = dict(reversed(list(o.items())))
    raw = json.dumps(shuffled, indent=3, sort_keys=True).encode()
    st, h, body = post_order(srv, o, raw_body=raw)
    eq(st, 200, "same JSON value, other key order and whitespace")
    eq(json.loads(body), o, "200 carries the stored order")
    row = order_row(srv, o["order_id"])
    eq((row["kiosk_id"], row["state"], row["received"], row["applied"]), ("k1", "locked", 2, 1), "admin row")
    eq(row["sha256"], hashlib.sha256(json.dumps(o).encode()).hexdigest(), "sha256 of the first applied body")


def test_same_key_different_body_is_idempotency_key_reused(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    eq(post_order(srv, o)[0], 201, "create")
    st, h, body = post_order(srv, dict(o, total_minor=1))
    eq((st, err_code(body)), (422, "idempotency-key-reused"), "changed body")


def test_missing_asset_then_upload_and_retry_binds_the_key(srv):
    photo, master = assets_for(srv)
    later = os.urandom(4000)
    later_sha = hashlib.sha256(later).hexdigest()
    o = make_order(str(uuid.uuid4()), "k1", photo, later_sha)
    st, h, body = post_order(srv, o)
    eq((st, err_code(body)), (422, "missing-asset"), "master not held")
    o2 = make_order(o["order_id"], "k1", later_sha, master)
    st, h, body = post_order(srv, o2)
    eq((st, err_code(body)), (422, "missing-asset"), "photo not held; a 422 binds nothing")
    srv.upload(later, "master")
    st, h, body = post_order(srv, o)
    eq(st, 201, "after upload, same key")
    row = order_row(srv, o["order_id"])
    eq((row["received"], row["applied"]), (3, 1), "received/applied")


def test_invalid_orders_are_422_invalid_order(srv):
    photo, master = assets_for(srv)
    base = make_order(str(uuid.uuid4()), "k1", photo, master)
    bad = []
    for k in ("order_id", "items", "channel", "total_minor", "currency"):
        bad.append(("missing " + k, {x: v for x, v in base.items() if x != k}, None))
    bad.append(("total_minor as string", dict(base, total_minor="1299"), None))
    bad.append(("quantity as string", dict(base, items=[dict(base["items"][0], quantity="2")]), None))
    bad.append(("items empty", dict(base, items=[]), None))
    bad.append(("key differs from order_id", base, str(uuid.uuid4())))
    bad.append(("no key", base, ""))
    for what, o, key in bad:
        st, h, body = post_order(srv, o, key=key if key is not None else o.get("order_id", "x"))
        eq((st, err_code(body)), (422, "invalid-order"), what)
    st, h, body = post_order(srv, base, raw_body=b" " * (1024 * 1024 + 1))
    eq((st, err_code(body)), (413, "body-too-large"), "body over 1 MiB")
    for raw in (b"{not json", b"[1,2]", b"", b'{"order_id":"a","order_id":"b"}'):
        st, h, body = post_order(srv, base, raw_body=raw)
        eq((st, err_code(body)), (422, "invalid-order"), "body %r" % raw)
    eq(order_row(srv, base["order_id"]), None, "nothing stored")


def concurrent_pair(srv, route, send):
    """Two requests with the same key while the first is held by a delay fault:
    one lands (2xx), the other is 409 request-in-progress with Retry-After."""
    set_faults(srv, [{"route": route, "action": "delay", "ms": 1500}])
    res = {}
    t = threading.Thread(target=lambda: res.update(a=send()))
    t.start()
    time.sleep(0.3)
    res["b"] = send()
    t.join()
    set_faults(srv, [])
    got = sorted([res["a"], res["b"]], key=lambda r: r[0])
    eq(got[0][0] // 100, 2, "one of them lands")
    eq((got[1][0], err_code(got[1][2])), (409, "request-in-progress"), "the other")
    assert int(got[1][1]["retry-after"]) >= 1, got[1][1]


def test_same_key_while_applying_is_409_request_in_progress(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    concurrent_pair(srv, "POST /v1/orders", lambda: post_order(srv, o))
    eq(post_order(srv, o)[0], 200, "after it is applied")
    e = event("printed", ts_now())
    concurrent_pair(srv, "POST /v1/orders/*/events", lambda: post_event(srv, o["order_id"], e))
    eq(post_event(srv, o["order_id"], e)[0], 200, "event after it is applied")


def test_events_apply_once_and_state_never_moves_back(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    eq(post_order(srv, o)[0], 201, "order")
    oid = o["order_id"]
    t0 = time.time()
    at = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + s))
    e1 = event("printed", at(10))
    st, h, body = post_event(srv, oid, e1)
    eq(st, 201, "printed")
    eq(post_event(srv, oid, e1)[0], 200, "same event_id again")
    eq(order_row(srv, oid)["state"], "printed", "state")
    eq(post_event(srv, oid, event("collected", at(30)))[0], 201, "collected")
    eq(post_event(srv, oid, event("ready", at(20)))[0], 201, "older ready is recorded")
    eq(order_row(srv, oid)["state"], "collected", "collected stays collected")
    eq(post_event(srv, oid, event("accepted", at(40)))[0], 201, "late accepted")
    eq(post_event(srv, oid, event("reprinted", at(50)))[0], 201, "reprinted")
    eq(order_row(srv, oid)["state"], "collected", "accepted/reprinted do not change a later state")
    store = srv.store()
    evs = [e for e in store["events"] if e["order_id"] == oid]
    eq(len(evs), 5, "all events recorded")
    row = [e for e in evs if e["event_id"] == e1["event_id"]][0]
    eq((row["type"], row["at"], row["received"], row["applied"]), ("printed", e1["at"], 2, 1), "event row")
    eq(row["sha256"], hashlib.sha256(json.dumps(e1).encode()).hexdigest(), "event sha256")


def test_event_on_unknown_order_404_and_unknown_type_422(srv):
    st, h, body = post_event(srv, str(uuid.uuid4()), event("printed", ts_now()))
    eq((st, err_code(body)), (404, "unknown-order"), "unknown order")
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    eq(post_order(srv, o)[0], 201, "order")
    for e in (event("exploded", ts_now()), event("printed", "yesterday"), {"type": "printed"}):
        st, h, body = post_event(srv, o["order_id"], e)
        eq((st, err_code(body)), (422, "invalid-event"), "event %r" % e)
    st, h, body = srv.req("POST", "/v1/orders/%s/events" % o["order_id"], body=b"{oops")
    eq((st, err_code(body)), (422, "invalid-event"), "unparseable event")


# ---- pickups -------------------------------------------------------------------

def place(srv, kiosk, photo, master, **extra):
    o = make_order(str(uuid.uuid4()), kiosk, photo, master, channel="app", state="queued", **extra)
    st, j = srv.admin("POST", "/admin/pickups", {"kiosk_id": kiosk, "order": o})
    eq(st, 201, "admin pickup placed")
    return o


def pickups(srv, after=None, kiosk="k1"):
    target = "/v1/kiosks/%s/pickups" % kiosk + ("?after=" + after if after is not None else "")
    st, h, body = srv.req("GET", target, kiosk=kiosk)
    eq(st, 200, "pickups")
    return json.loads(body)


def test_pickups_page_by_50_oldest_first_with_cursor(srv):
    photo, master = assets_for(srv)
    mine = [place(srv, "k1", photo, master)["order_id"] for _ in range(55)]
    place(srv, "k2", photo, master)
    eq(post_order(srv, make_order(str(uuid.uuid4()), "k1", photo, master))[0], 201, "kiosk order")
    p1 = pickups(srv)
    eq([o["order_id"] for o in p1["orders"]], mine[:50], "first page")
    assert all(o["channel"] == "app" and o["kiosk_id"] == "k1" for o in p1["orders"])
    p2 = pickups(srv, p1["cursor"])
    eq([o["order_id"] for o in p2["orders"]], mine[50:], "second page")
    p3 = pickups(srv, p2["cursor"])
    eq((p3["orders"], p3["cursor"]), ([], p2["cursor"]), "empty page returns the given cursor")
    eq(len(pickups(srv, kiosk="k2")["orders"]), 1, "k2 sees its own only")
    st, h, body = srv.req("GET", "/v1/kiosks/k1/pickups?after=garbage")
    eq(st, 400, "cursor not from this server")
    # later state of a pickup order follows its events
    eq(post_event(srv, mine[0], event("accepted", ts_now()))[0], 201, "accepted")
    eq(pickups(srv)["orders"][0]["state"], "accepted", "state in pickups")


def test_pickups_page_stays_under_512_kib(srv):
    eq(srv.admin("POST", "/admin/reset")[0], 200, "reset")
    photo, master = assets_for(srv)
    ids = [place(srv, "k1", photo, master, note="x" * 60000)["order_id"] for _ in range(12)]
    got, cursor, pages = [], None, 0
    while True:
        st, h, body = srv.req("GET", "/v1/kiosks/k1/pickups" + ("?after=" + cursor if cursor else ""))
        assert len(body) <= 512 * 1024 + 1024, len(body)
        j = json.loads(body)
        if not j["orders"]:
            break
        pages += 1
        got += [o["order_id"] for o in j["orders"]]
        cursor = j["cursor"]
    eq(got, ids, "every order once, in order")
    assert pages >= 2, pages


def test_admin_pickup_needs_app_channel_and_held_assets(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master, channel="kiosk")
    st, j = srv.admin("POST", "/admin/pickups", {"kiosk_id": "k1", "order": o})
    eq(st, 422, "channel kiosk")
    o = make_order(str(uuid.uuid4()), "k1", "ab" * 32, master, channel="app", state="queued")
    st, j = srv.admin("POST", "/admin/pickups", {"kiosk_id": "k1", "order": o})
    eq((st, j["error"]["code"]), (422, "missing-asset"), "asset not uploaded")


def test_admin_reset_empties_store_keeps_faults(srv):
    photo, master = assets_for(srv)
    place(srv, "k1", photo, master)
    srv.admin("POST", "/admin/faults", [{"route": "GET /v1/nothing", "action": "garbage"}])
    st, j = srv.admin("POST", "/admin/reset")
    eq(st, 200, "reset")
    eq(srv.store(), {"orders": [], "events": [], "assets": []}, "store empty")
    eq(len(srv.admin("GET", "/admin/faults")[1]), 1, "faults stay")
    st, h, body = srv.req("GET", "/v1/assets/" + photo)
    eq(st, 404, "asset file gone")
    srv.admin("POST", "/admin/faults", [])


# ---- faults --------------------------------------------------------------------

def set_faults(srv, rules):
    st, j = srv.admin("POST", "/admin/faults", rules)
    eq(st, 200, "set faults")
    return j


def hits(srv):
    return [r["hits"] for r in srv.admin("GET", "/admin/faults")[1]]


def split_http(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    h = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        h[k.strip().lower()] = v.strip()
    return status, h, body


def test_fault_rules_are_validated_listed_and_counted(srv):
    for bad in ({"route": "GET /v1/x"}, [{"route": "GET /v1/x", "action": "explode"}],
                [{"route": "nowhere", "action": "delay"}], [{"route": "GET /v1/x", "action": "status"}],
                [{"route": "GET /v1/x", "action": "delay", "p": 2}]):
        st, j = srv.admin("POST", "/admin/faults", bad)
        eq((st, j["error"]["code"]), (400, "invalid-faults"), "rules %r" % bad)
    rules = set_faults(srv, [{"route": "GET /v1/kiosks/*/pickups", "action": "status", "status": 503, "p": 0},
                             {"route": "GET /v1/kiosks/*/pickups", "action": "status", "status": 429}])
    eq([r["p"] for r in rules], [0, 1], "p defaults to 1")
    for _ in range(3):
        eq(srv.req("GET", "/v1/kiosks/k1/pickups?after=c0")[0], 429, "second rule fires (query ignored)")
    eq(srv.req("GET", "/v1/kiosks/k1/pickups/extra")[0], 404, "* is one segment only")
    eq(hits(srv), [0, 3], "hit counts")
    set_faults(srv, [])
    eq(srv.admin("GET", "/admin/faults")[1], [], "[] clears")


def test_probability_is_seeded(srv):
    set_faults(srv, [{"route": "OPTIONS /v1/uploads", "action": "status", "status": 503, "p": 0.5}])
    codes = [srv.req("OPTIONS", "/v1/uploads")[0] for _ in range(40)]
    n = codes.count(503)
    assert 5 < n < 35 and codes.count(204) == 40 - n, codes
    eq(hits(srv), [n], "hits count the rolls that fired")
    set_faults(srv, [])


def test_same_seed_gives_the_same_rolls(srv, binary):
    rules = [{"route": "OPTIONS /v1/uploads", "action": "status", "status": 503, "p": 0.5}]
    runs = []
    for _ in range(2):
        s2 = Server(binary, ["--seed", "99"])
        try:
            set_faults(s2, rules)
            runs.append([s2.req("OPTIONS", "/v1/uploads")[0] for _ in range(20)])
        finally:
            s2.stop()
    eq(runs[0], runs[1], "fire pattern with --seed 99")
    assert 503 in runs[0] and 204 in runs[0], runs[0]


def test_drop_before_closes_without_applying(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    set_faults(srv, [{"route": "POST /v1/orders", "action": "drop-before"}])
    raw = srv.raw("POST", "/v1/orders", o, headers={"Idempotency-Key": o["order_id"]})
    eq(raw, b"", "no answer")
    set_faults(srv, [])
    eq(order_row(srv, o["order_id"]), None, "not applied")
    eq(post_order(srv, o)[0], 201, "retry creates it")


def test_drop_after_applies_then_closes(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    set_faults(srv, [{"route": "POST /v1/orders", "action": "drop-after"}])
    raw = srv.raw("POST", "/v1/orders", o, headers={"Idempotency-Key": o["order_id"]})
    eq(raw, b"", "no answer")
    set_faults(srv, [])
    row = order_row(srv, o["order_id"])
    eq((row["received"], row["applied"]), (1, 1), "applied")
    eq(post_order(srv, o)[0], 200, "retry learns it is there")
    eq(order_row(srv, o["order_id"])["received"], 2, "received counts the retry")


def test_drop_after_on_final_patch_then_head_shows_asset(srv):
    data = os.urandom(5000)
    st, h, _ = srv.create(data)
    loc = h["location"]
    set_faults(srv, [{"route": "PATCH /v1/uploads/*", "action": "drop-after"}])
    raw = srv.raw("PATCH", loc, data, headers={
        "Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0",
        "Upload-Checksum": "sha256 " + b64(hashlib.sha256(data).digest())})
    eq(raw, b"", "no answer")
    set_faults(srv, [])
    st, h, _ = srv.tus("HEAD", loc)
    eq((h.get("upload-offset"), h.get("x-asset-id")), (str(len(data)), hashlib.sha256(data).hexdigest()),
       "HEAD after a lost final answer")
    eq(srv.create(data)[0], 200, "POST learns the asset id too")


def test_status_fault_answers_without_applying(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    set_faults(srv, [{"route": "POST /v1/orders", "action": "status", "status": 503, "retry_after": 2}])
    st, h, body = post_order(srv, o)
    set_faults(srv, [])
    eq((st, h.get("retry-after")), (503, "2"), "503 + Retry-After")
    eq(order_row(srv, o["order_id"]), None, "not applied")


def test_delay_fault_waits_then_answers(srv):
    set_faults(srv, [{"route": "GET /v1/kiosks/*/pickups", "action": "delay", "ms": 700}])
    t = time.time()
    st, h, body = srv.req("GET", "/v1/kiosks/k1/pickups")
    el = time.time() - t
    set_faults(srv, [])
    eq(st, 200, "answered normally")
    assert el >= 0.65, el


def test_truncate_sends_headers_and_half_the_body(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    set_faults(srv, [{"route": "POST /v1/orders", "action": "truncate"}])
    raw = srv.raw("POST", "/v1/orders", o, headers={"Idempotency-Key": o["order_id"]})
    set_faults(srv, [])
    st, h, body = split_http(raw)
    eq(st, 201, "status line and headers arrive")
    full = int(h["content-length"])
    eq(len(body), full // 2, "half the body")
    assert order_row(srv, o["order_id"])["applied"] == 1, "applied"
    # http.client sees an incomplete read, not a crash
    o2 = make_order(str(uuid.uuid4()), "k1", photo, master)
    set_faults(srv, [{"route": "POST /v1/orders", "action": "truncate"}])
    try:
        post_order(srv, o2)
        raise AssertionError("expected IncompleteRead")
    except http.client.IncompleteRead:
        pass
    set_faults(srv, [])


def test_trickle_spreads_the_answer(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    post_order(srv, o)
    e = event("printed", ts_now())
    set_faults(srv, [{"route": "POST /v1/orders/*/events", "action": "trickle", "ms": 1000}])
    t = time.time()
    st, h, body = post_event(srv, o["order_id"], e)
    el = time.time() - t
    set_faults(srv, [])
    eq((st, json.loads(body)["event_id"]), (201, e["event_id"]), "complete answer")
    assert el >= 0.8, el
    eq(order_row(srv, o["order_id"])["state"], "printed", "applied")


def test_garbage_answers_bytes_that_are_not_http(srv):
    data = os.urandom(1000)
    set_faults(srv, [{"route": "POST /v1/uploads", "action": "garbage"}])
    meta = "sha256 %s,kind %s,content-type %s" % (b64(hashlib.sha256(data).hexdigest().encode()),
                                                  b64(b"photo"), b64(b"image/jpeg"))
    raw = srv.raw("POST", "/v1/uploads", b"", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "1000",
                                                        "Upload-Metadata": meta})
    assert raw and not raw.startswith(b"HTTP/"), raw[:40]
    try:
        srv.create(data)
        raise AssertionError("expected a protocol error")
    except (http.client.BadStatusLine, http.client.HTTPException):
        pass
    set_faults(srv, [])
    sha = srv.upload(data)
    a = [x for x in srv.store()["assets"] if x["sha256"] == sha][0]
    eq((a["received"], a["applied"]), (4, 4), "both garbage-answered POSTs were applied")


def test_oversize_answers_a_2_mib_json_body(srv):
    photo, master = assets_for(srv)
    o = make_order(str(uuid.uuid4()), "k1", photo, master)
    set_faults(srv, [{"route": "POST /v1/orders", "action": "oversize"}])
    st, h, body = post_order(srv, o)
    set_faults(srv, [])
    eq(st, 201, "status of the applied request")
    assert len(body) >= 2 * 1024 * 1024, len(body)
    json.loads(body)
    eq(order_row(srv, o["order_id"])["applied"], 1, "applied")


def test_faults_file_at_start(srv, binary):
    path = os.path.join(srv.dir, "faults.json")
    with open(path, "w") as f:
        json.dump([{"route": "GET /v1/kiosks/*/pickups", "action": "status", "status": 500}], f)
    s2 = Server(binary, ["--faults", path])
    try:
        eq(s2.req("GET", "/v1/kiosks/k1/pickups")[0], 500, "rule from --faults")
        eq(hits(s2), [1], "hits")
        eq(s2.admin("GET", "/admin/store")[0], 200, "admin routes are never faulted")
    finally:
        s2.stop()


def test_admin_store_counts_received_and_applied_for_assets(srv):
    data = os.urandom(10000)
    sha = hashlib.sha256(data).hexdigest()
    st, h, _ = srv.create(data)
    loc = h["location"]
    srv.patch(loc, 0, data[:5000], digest=b"\0" * 32)  # 460: received, not applied
    srv.patch(loc, 0, data[:5000])
    srv.patch(loc, 5000, data[5000:])
    srv.create(data)  # dedup 200
    a = [x for x in srv.store()["assets"] if x["sha256"] == sha][0]
    eq((a["asset_id"], a["size"], a["received"], a["applied"]), (sha, 10000, 5, 3), "asset row")


# ---- torture: many kiosk-like clients through random faults ----------------------

NET_ERRORS = (OSError, http.client.HTTPException, ValueError, KeyError)


def retrying(fn, attempts=80):
    """Contract retry rules, compressed: network error, 5xx, 409 -> retry."""
    for _ in range(attempts):
        try:
            st, h, body = fn()
        except NET_ERRORS:
            time.sleep(0.01)
            continue
        if st >= 500 or st == 409 or st == 429:
            time.sleep(0.01)
            continue
        return st, h, body
    raise AssertionError("no answer after %d attempts" % attempts)


def robust_upload(srv, data, chunk=4096):
    for _ in range(60):
        st, h, body = retrying(lambda: srv.create(data))
        if st == 200:
            return json.loads(body)["asset_id"]
        eq(st, 201, "create")
        loc, off = h["location"], 0
        for _ in range(200):
            try:
                st, h, body = srv.patch(loc, off, data[off:off + chunk])
                if st == 204:
                    off = int(h["upload-offset"])
                    if off == len(data):
                        return h["x-asset-id"]
                    continue
            except NET_ERRORS:
                pass
            try:  # lost or refused answer: ask where the upload stands
                st, h, body = srv.tus("HEAD", loc)
            except NET_ERRORS:
                continue
            if st == 200 and h.get("x-asset-id"):
                return h["x-asset-id"]
            if st == 200:
                off = int(h["upload-offset"])
            elif st in (404, 410):
                break
    raise AssertionError("upload never completed")


def test_concurrent_clients_through_faults_apply_everything_once(srv):
    n_clients = int(os.environ.get("PK_CENTRAL_TORTURE_CLIENTS", "6"))
    n_orders = int(os.environ.get("PK_CENTRAL_TORTURE_ORDERS", "4"))
    eq(srv.admin("POST", "/admin/reset")[0], 200, "reset")
    rules = []
    for route in ("POST /v1/uploads", "PATCH /v1/uploads/*", "HEAD /v1/uploads/*", "POST /v1/orders",
                  "POST /v1/orders/*/events"):
        for action in ("drop-before", "drop-after", "truncate", "garbage"):
            rules.append({"route": route, "action": action, "p": 0.06})
        rules.append({"route": route, "action": "status", "status": 503, "retry_after": 0, "p": 0.06})
    set_faults(srv, rules)
    done, errors = [], []

    def client(i):
        try:
            for j in range(n_orders):
                photo = robust_upload(srv, os.urandom(9000 + i * 100 + j))
                master = robust_upload(srv, os.urandom(12000 + i * 100 + j), chunk=5000)
                o = make_order(str(uuid.uuid4()), "k1", photo, master)
                st, h, body = retrying(lambda: post_order(srv, o))
                assert st in (200, 201), (st, body)
                e = event("printed", ts_now())
                st, h, body = retrying(lambda: post_event(srv, o["order_id"], e))
                assert st in (200, 201), (st, body)
                done.append((o["order_id"], e["event_id"], photo, master))
        except Exception:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fired = sum(hits(srv))
    set_faults(srv, [])
    assert not errors, errors[0]
    store = srv.store()
    orders = {o["order_id"]: o for o in store["orders"]}
    events = {e["event_id"]: e for e in store["events"]}
    assets = {a["asset_id"]: a for a in store["assets"]}
    eq(len(orders), n_clients * n_orders, "orders stored")
    for oid, eid, photo, master in done:
        eq((orders[oid]["applied"], orders[oid]["state"]), (1, "printed"), "order applied once")
        eq(events[eid]["applied"], 1, "event applied once")
        assert photo in assets and master in assets
    for a in assets.values():
        _, h, body = srv.req("GET", "/v1/assets/" + a["asset_id"])
        eq(hashlib.sha256(body).hexdigest(), a["sha256"], "stored bytes match")
    assert fired > 0, "faults fired"
    print("     %d clients x %d orders, %d faults fired" % (n_clients, n_orders, fired))


GROUPS = {
    "auth": [test_python_signer_reproduces_contract_example, test_signed_request_is_accepted,
             test_timestamp_missing_malformed_or_skewed_is_clock_skew_with_date,
             test_timestamp_within_300s_is_accepted, test_kiosk_corrects_its_clock_from_date_and_retries,
             test_timestamp_checked_before_signature,
             test_bad_missing_or_unknown_signature_is_bad_signature,
             test_request_about_another_kiosk_is_wrong_kiosk, test_errors_have_the_contract_shape,
             test_admin_is_unsigned],
    "tus": [test_options_advertises_tus, test_other_tus_version_is_412, test_creation_checks_length_and_metadata,
            test_full_upload_with_chunks_conflict_resume_and_checksums, test_whole_file_mismatch_deletes_the_upload,
            test_head_returns_the_metadata_it_was_given,
            test_unknown_upload_is_404, test_expired_upload_is_410_and_oversized_chunk_413,
            test_asset_download_with_etag_and_ranges],
    "orders": [test_order_created_then_same_body_any_key_order_is_200,
               test_same_key_different_body_is_idempotency_key_reused,
               test_missing_asset_then_upload_and_retry_binds_the_key, test_invalid_orders_are_422_invalid_order,
               test_same_key_while_applying_is_409_request_in_progress,
               test_events_apply_once_and_state_never_moves_back,
               test_event_on_unknown_order_404_and_unknown_type_422],
    "pickups": [test_pickups_page_by_50_oldest_first_with_cursor, test_pickups_page_stays_under_512_kib,
                test_admin_pickup_needs_app_channel_and_held_assets, test_admin_reset_empties_store_keeps_faults],
    "torture": [test_concurrent_clients_through_faults_apply_everything_once],
    "faults": [test_fault_rules_are_validated_listed_and_counted, test_probability_is_seeded,
               test_same_seed_gives_the_same_rolls,
               test_drop_before_closes_without_applying, test_drop_after_applies_then_closes,
               test_drop_after_on_final_patch_then_head_shows_asset, test_status_fault_answers_without_applying,
               test_delay_fault_waits_then_answers, test_truncate_sends_headers_and_half_the_body,
               test_trickle_spreads_the_answer, test_garbage_answers_bytes_that_are_not_http,
               test_oversize_answers_a_2_mib_json_body, test_faults_file_at_start,
               test_admin_store_counts_received_and_applied_for_assets],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--group", required=True, choices=sorted(GROUPS))
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    a = ap.parse_args()
    srv = Server(a.server)
    failed = 0
    try:
        for t in GROUPS[a.group]:
            if a.k not in t.__name__:
                continue
            t0 = time.time()
            try:
                if t.__code__.co_argcount == 2:
                    t(srv, a.server)
                else:
                    t(srv)
                print("ok   %s (%.2fs)" % (t.__name__, time.time() - t0), flush=True)
            except Exception:
                failed += 1
                print("FAIL %s" % t.__name__, flush=True)
                traceback.print_exc()
                srv.admin("POST", "/admin/faults", [])
    finally:
        try:
            srv.stop()
        except AssertionError as e:
            print("FAIL server shutdown: %s" % e)
            failed += 1
    print("%s: %d failed" % (a.group, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
