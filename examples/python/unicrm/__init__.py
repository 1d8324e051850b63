"""unicrm -- Python binding of libunicrm (Salesforce and HubSpot through one API), on ctypes: no compiler needed.

    import unicrm

    with unicrm.Client({"provider": "hubspot", "auth.access.token": token}) as crm:
        ada = crm.create("contact", {"email": "ada@example.com", "first_name": "Ada"})
        crm.update("contact", ada["id"], {"title": "Countess"})
        for contact in crm.list("contact", fields=["email"], updated_since="2026-01-01T00:00:00Z"):
            print(contact["id"], contact.get("email"))
    # errors are exceptions carrying the C error object's fields:
    except unicrm.NotFoundError as e: e.code, e.message, e.http_status, e.provider_code, e.retriable, ...

Records are dicts of unified fields (the shape ucrm_record_to_json() writes): "id", "first_name", ...,
"custom.<ProviderField>"; decimals (amounts) are strings so that nothing rounds them. Handles are freed by
close() or a with-block (and, as a safety net, when garbage-collected). A Client may be shared by threads (the C
client is thread-safe and ctypes releases the GIL during calls); an iterator belongs to one thread at a time.
"""
import ctypes
import json

from . import _native

_lib, LIBRARY_PATH = _native.load()

__all__ = ["Client", "RecordIterator", "BatchResult", "Response", "UnicrmError", "version", "features",
           "error_class", "describe_config", "OBJECTS"]

OBJECTS = ("contact", "account", "deal")
# Fixed forever by the C ABI (ucrm_priority_t, ucrm_batch_op_t, ucrm_write_state_t, ucrm_feature_t); error codes,
# by contrast, are read from the library at import (ucrm_err_list) rather than copied here.
_PRIORITIES = {"low": 1, "normal": 2, "high": 3}
_BATCH_OPS = {"create": 1, "update": 2, "upsert": 3, "delete": 4}
_WRITE_STATES = {0: None, 1: "not_applied", 2: "unknown"}
_FEATURES = {"hubspot": 1, "salesforce": 2, "threads": 4, "jwt": 8, "redis": 16, "tls": 32}


def version():
    """The runtime library version, e.g. "1.0.0"."""
    return _lib.ucrm_version_str().decode()


def features():
    """The features built into the loaded library, as a set of names ("hubspot", "salesforce", "jwt", ...)."""
    bits = _lib.ucrm_features()
    return {name for name, bit in _FEATURES.items() if bits & bit}


# ------------------------------------------------------------------------------------------------ errors

def _str(b):
    return b.decode("utf-8", "replace") if b is not None else ""


class UnicrmError(Exception):
    """A failed call. Attributes mirror the C error object (ucrm_error_*()); subclasses exist per code
    (NotFoundError, ConflictError, RateLimitedError, ...), all generated from the library's own code table."""

    code = 0
    name = "UCRM_ERR_FAIL"

    def __init__(self, message, code=None, name=None, retriable=False, write_state=None, http_status=0,
                 provider_code="", request_id="", retry_after_ms=0, field="", existing_id="", details="",
                 user_code=0):
        super().__init__(message)
        if code is not None:
            self.code = code
        if name is not None:
            self.name = name
        self.message = message
        self.retriable = retriable
        self.write_state = write_state     # None, "not_applied" or "unknown" (a write may have happened)
        self.http_status = http_status
        self.provider_code = provider_code
        self.request_id = request_id
        self.retry_after_ms = retry_after_ms
        self.field = field
        self.existing_id = existing_id
        self.details = details
        self.user_code = user_code

    def __str__(self):
        extra = ", HTTP %d" % self.http_status if self.http_status else ""
        return "%s%s: %s" % (self.name, extra, self.message)


_CLASSES = {}


def _class_name(name):
    # UCRM_ERR_NOT_FOUND -> NotFoundError; UCRM_ERR_CONF_INVALID -> ConfInvalidError
    return "".join(p.capitalize() for p in name[len("UCRM_ERR_"):].split("_")) + "Error"


def _init_errors():
    codes = ctypes.POINTER(_native._err)()
    count = ctypes.c_size_t()
    if _lib.ucrm_err_list(ctypes.byref(codes), ctypes.byref(count)) != 0:
        raise ImportError("unicrm: ucrm_err_list failed")
    for i in range(count.value):
        code = codes[i]
        name = _lib.ucrm_err_name(code).decode()
        globals()[name[len("UCRM_"):]] = code          # unicrm.ERR_NOT_FOUND, unicrm.OK, unicrm.ITEROVER
        if code >= 0:
            continue
        cls = type(_class_name(name), (UnicrmError,), {"code": code, "name": name,
                                                       "__doc__": _lib.ucrm_err_str(code).decode()})
        cls.__module__ = __name__
        globals()[cls.__name__] = cls
        __all__.append(cls.__name__)
        _CLASSES[code] = cls


_init_errors()


def error_class(code):
    """The exception class for a code (UnicrmError for an unknown one)."""
    return _CLASSES.get(code, UnicrmError)


def _error_from(rc, err):
    """Builds the exception from a C error object (and destroys the object)."""
    try:
        code = _lib.ucrm_error_code(err) if err else rc
        cls = error_class(code)
        msg = _str(_lib.ucrm_error_message(err)) if err else ""
        return cls(msg or _str(_lib.ucrm_err_str(code)), code=code, name=_str(_lib.ucrm_err_name(code)),
                   retriable=bool(_lib.ucrm_error_is_retriable(err)),
                   write_state=_WRITE_STATES.get(_lib.ucrm_error_write_state(err)),
                   http_status=_lib.ucrm_error_http_status(err),
                   provider_code=_str(_lib.ucrm_error_provider_code(err)),
                   request_id=_str(_lib.ucrm_error_request_id(err)),
                   retry_after_ms=_lib.ucrm_error_retry_after_ms(err), field=_str(_lib.ucrm_error_field(err)),
                   existing_id=_str(_lib.ucrm_error_existing_id(err)),
                   details=_str(_lib.ucrm_error_details(err)), user_code=_lib.ucrm_error_user_code(err))
    finally:
        if err:
            _lib.ucrm_error_destroy(err)


def _check(rc, err=None):
    if rc < 0:
        raise _error_from(rc, err.value if isinstance(err, ctypes.c_void_p) else err)
    if isinstance(err, ctypes.c_void_p) and err.value:  # not expected on success, but never leak one
        _lib.ucrm_error_destroy(err)
    return rc


def _take_string(ptr):
    """A char * that unicrm returned through an out-parameter: copied into Python, then ucrm_free()d."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        _lib.ucrm_free(ptr)


def _enc(s):
    return None if s is None else str(s).encode("utf-8")


def _object(name):
    out = ctypes.c_int()
    if _lib.ucrm_object_from_name(_enc(name), ctypes.byref(out)) != 0:
        raise ValueError("unicrm: unknown object %r (one of %s)" % (name, ", ".join(OBJECTS)))
    return out.value


def describe_config():
    """Every configuration property as a list of dicts (name, type, default, description, ...)."""
    out = ctypes.c_void_p()
    _check(_lib.ucrm_conf_describe_json(ctypes.byref(out)))
    return json.loads(_take_string(out))


# ------------------------------------------------------------------------------------------------ records

def _record_to_dict(rec, raw=False):
    out = ctypes.c_void_p()
    _check(_lib.ucrm_record_to_json(rec, ctypes.byref(out)))
    d = json.loads(_take_string(out))
    if raw:
        out = ctypes.c_void_p()
        if _lib.ucrm_record_remote_json(rec, ctypes.byref(out)) == 0:
            d = json.loads(_take_string(out))
    return d


class _Record:
    """A C record built from a dict, destroyed on exit."""

    def __init__(self, obj, fields, record_id=None):
        if not isinstance(fields, dict):
            raise TypeError("unicrm: a record is a dict of unified fields, not %s" % type(fields).__name__)
        text = json.dumps(fields, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self.ptr = ctypes.c_void_p()
        err = ctypes.c_void_p()
        _check(_lib.ucrm_record_new_from_json(ctypes.byref(self.ptr), obj, text, len(text), ctypes.byref(err)), err)
        if record_id is not None:
            _check(_lib.ucrm_record_set_id(self.ptr, _enc(record_id)))

    def __enter__(self):
        return self.ptr

    def __exit__(self, *exc):
        _lib.ucrm_record_destroy(self.ptr)
        self.ptr = None


class _Opts:
    """Per-call options (ucrm_reqopts_t) from keyword arguments; None when there are none."""

    def __init__(self, fields=None, page_size=None, updated_since=None, include_deleted=None, timeout_ms=None,
                 priority=None, max_wait_ms=None, idempotency_key=None, all_or_none=None):
        self.ptr = None
        given = {k: v for k, v in locals().items() if k not in ("self",) and v is not None}
        if not given:
            return
        self.ptr = ctypes.c_void_p()
        _check(_lib.ucrm_reqopts_new(ctypes.byref(self.ptr)))
        try:
            if fields is not None:
                csv = fields if isinstance(fields, str) else ",".join(fields)
                _check(_lib.ucrm_reqopts_set_fields(self.ptr, _enc(csv)))
            if page_size is not None:
                _check(_lib.ucrm_reqopts_set_page_size(self.ptr, int(page_size)))
            if updated_since is not None:
                _check(_lib.ucrm_reqopts_set_updated_since(self.ptr, _enc(updated_since)))
            if include_deleted is not None:
                _check(_lib.ucrm_reqopts_set_include_deleted(self.ptr, 1 if include_deleted else 0))
            if timeout_ms is not None:
                _check(_lib.ucrm_reqopts_set_timeout_ms(self.ptr, int(timeout_ms)))
            if priority is not None:
                if priority not in _PRIORITIES:
                    raise ValueError("unicrm: priority is one of %s" % ", ".join(_PRIORITIES))
                _check(_lib.ucrm_reqopts_set_priority(self.ptr, _PRIORITIES[priority]))
            if max_wait_ms is not None:
                _check(_lib.ucrm_reqopts_set_max_wait_ms(self.ptr, int(max_wait_ms)))
            if idempotency_key is not None:
                _check(_lib.ucrm_reqopts_set_idempotency_key(self.ptr, _enc(idempotency_key)))
            if all_or_none is not None:
                _check(_lib.ucrm_reqopts_set_all_or_none(self.ptr, 1 if all_or_none else 0))
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self):
        return self.ptr

    def __exit__(self, *exc):
        if self.ptr:
            _lib.ucrm_reqopts_destroy(self.ptr)
        self.ptr = None


# ------------------------------------------------------------------------------------------------ client

class Client:
    """A connection to one CRM account, configured from a dict of configuration keys (docs/CONFIGURATION.md).

    on_token(access_token, refresh_token, expires_at_ms, instance_url) is called after every token refresh, so that
    a rotated refresh token can be stored; raising in it aborts the current call (UserError).
    on_log(level, facility, message) receives the library's log lines (messages never contain secrets).
    Every request method takes the per-call options as keywords: fields, page_size, updated_since,
    include_deleted, timeout_ms, priority ("low", "normal", "high"), max_wait_ms, idempotency_key, all_or_none.
    """

    def __init__(self, config, on_token=None, on_log=None):
        self._ptr = None
        self._iters = []
        self._callbacks = []
        conf = _lib.ucrm_conf_new()
        if not conf:
            raise MemoryError("unicrm: out of memory")
        try:
            for key, value in config.items():
                if isinstance(value, bool):
                    value = "true" if value else "false"
                err = ctypes.c_void_p()
                _check(_lib.ucrm_conf_set(conf, _enc(key), _enc(value), ctypes.byref(err)), err)
            if on_log is not None:
                self._callbacks.append(_native.LOG_CB(
                    lambda level, fac, msg, _o: on_log(level, _str(fac), _str(msg))))
                _check(_lib.ucrm_conf_set_log_cb(conf, self._callbacks[-1], None))
            if on_token is not None:
                self._callbacks.append(_native.TOKEN_CB(self._token_trampoline(on_token)))
                _check(_lib.ucrm_conf_set_token_cb(conf, self._callbacks[-1], None))
            ptr, err = ctypes.c_void_p(), ctypes.c_void_p()
            _check(_lib.ucrm_client_new(ctypes.byref(ptr), conf, ctypes.byref(err)), err)
            self._ptr = ptr
        finally:
            _lib.ucrm_conf_destroy(conf)

    @staticmethod
    def _token_trampoline(fn):
        def cb(access, refresh, expires_at_ms, instance_url, _opaque):
            try:
                fn(_str(access), _str(refresh) if refresh else None, expires_at_ms,
                   _str(instance_url) if instance_url else None)
                return 0
            except Exception:  # cannot propagate through C: abort the call (UCRM_ERR_USER)
                return 1
        return cb

    # -------- lifetime
    def close(self):
        """Destroys the client (its open iterators first). Safe to call twice."""
        for it in list(self._iters):
            it.close()
        if self._ptr:
            _lib.ucrm_client_destroy(self._ptr)
        self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if not self._ptr:
            raise ValueError("unicrm: the client is closed")
        return self._ptr

    @property
    def provider(self):
        return _str(_lib.ucrm_client_provider(self._handle()))

    def stats(self):
        """The client's metrics (requests, errors, retries, 429s, token refreshes, latency) as a dict."""
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        _check(_lib.ucrm_client_stats_json(self._handle(), ctypes.byref(out), ctypes.byref(err)), err)
        return json.loads(_take_string(out))

    def set_token(self, access_token, refresh_token=None, expires_at_ms=0, instance_url=None):
        err = ctypes.c_void_p()
        _check(_lib.ucrm_client_set_token(self._handle(), _enc(access_token), _enc(refresh_token),
                                          int(expires_at_ms), _enc(instance_url), ctypes.byref(err)), err)

    # -------- single records
    def get(self, obj, record_id, raw=False, **opts):
        """The record as a dict (raw=True: the provider's own payload). NotFoundError when it does not exist."""
        rec, err = ctypes.c_void_p(), ctypes.c_void_p()
        with _Opts(**opts) as o:
            _check(_lib.ucrm_get(self._handle(), _object(obj), _enc(record_id), o, ctypes.byref(rec),
                                 ctypes.byref(err)), err)
        try:
            return _record_to_dict(rec, raw)
        finally:
            _lib.ucrm_record_destroy(rec)

    def _write(self, fn, obj, fields, record_id=None, extra=(), opts=None):
        err = ctypes.c_void_p()
        with _Record(_object(obj), fields, record_id) as rec, _Opts(**(opts or {})) as o:
            _check(fn(self._handle(), rec, *extra, o, ctypes.byref(err)), err)
            return _record_to_dict(rec)

    def create(self, obj, fields, **opts):
        """Creates the record; returns it with its new "id" (and what the provider set)."""
        return self._write(_lib.ucrm_create, obj, fields, opts=opts)

    def update(self, obj, record_id, changes, **opts):
        """Sends the given fields (only those) to the record; returns what was sent, with the id."""
        return self._write(_lib.ucrm_update, obj, changes, record_id=record_id, opts=opts)

    def upsert(self, obj, fields, key=None, **opts):
        """Creates or updates by the unique field `key` (e.g. "email"; None: the upsert.<object>.key setting)."""
        return self._write(_lib.ucrm_upsert, obj, fields, extra=(_enc(key),), opts=opts)

    def delete(self, obj, record_id, **opts):
        err = ctypes.c_void_p()
        with _Opts(**opts) as o:
            _check(_lib.ucrm_delete(self._handle(), _object(obj), _enc(record_id), o, ctypes.byref(err)), err)

    # -------- iteration
    def list(self, obj, **opts):
        """An iterator over every record of obj (pages are fetched as the iteration goes)."""
        return self._iterate(lambda o, out, err: _lib.ucrm_list(self._handle(), _object(obj), o, out, err), opts)

    def search(self, obj, field, value, **opts):
        """An iterator over the records whose unified `field` equals `value`."""
        return self._iterate(lambda o, out, err: _lib.ucrm_search(self._handle(), _object(obj), _enc(field),
                                                                  _enc(value), o, out, err), opts)

    def resume(self, cursor, **opts):
        """Continues an iteration from RecordIterator.cursor (in this or a later process)."""
        return self._iterate(lambda o, out, err: _lib.ucrm_iter_resume(self._handle(), _enc(cursor), o, out, err),
                             opts)

    def _iterate(self, open_fn, opts):
        raw = opts.pop("raw", False)
        it, err = ctypes.c_void_p(), ctypes.c_void_p()
        with _Opts(**opts) as o:
            _check(open_fn(o, ctypes.byref(it), ctypes.byref(err)), err)
        return RecordIterator(self, it, raw)

    # -------- batches
    def batch(self, op, obj, records, key=None, **opts):
        """Runs a batch: op is "create", "update", "upsert" (records are dicts; update needs "id" in each) or
        "delete" (records are ids). Returns one BatchResult per item, in order; items that failed carry their
        exception in .error (the call itself raises only when the batch could not run at all)."""
        if op not in _BATCH_OPS:
            raise ValueError("unicrm: op is one of %s" % ", ".join(_BATCH_OPS))
        b, err = ctypes.c_void_p(), ctypes.c_void_p()
        _check(_lib.ucrm_batch_new(ctypes.byref(b), _object(obj), _BATCH_OPS[op]))
        try:
            if key is not None:
                _check(_lib.ucrm_batch_set_key_field(b, _enc(key)))
            for r in records:
                if op == "delete":
                    _check(_lib.ucrm_batch_add_id(b, _enc(r)))
                else:
                    with _Record(_object(obj), r) as rec:
                        _check(_lib.ucrm_batch_add(b, rec))
            with _Opts(**opts) as o:
                rc = _lib.ucrm_batch_run(self._handle(), b, o, ctypes.byref(err))
            if rc < 0 and rc != ERR_PARTIAL:  # noqa: F821 (defined from the library's table)
                _check(rc, err)
            if err.value:
                _lib.ucrm_error_destroy(err)
            return [self._batch_item(b, i) for i in range(_lib.ucrm_batch_count(b))]
        finally:
            _lib.ucrm_batch_destroy(b)

    @staticmethod
    def _batch_item(b, i):
        rid, item_err, created = ctypes.c_char_p(), ctypes.c_void_p(), ctypes.c_int(-1)
        rc = _lib.ucrm_batch_result(b, i, ctypes.byref(rid), ctypes.byref(item_err))
        error = None
        if rc < 0:
            # the item's error is borrowed from the batch: copy its fields, do not destroy it
            dup = _lib.ucrm_error_dup(item_err) if item_err.value else None
            error = _error_from(rc, dup)
        elif _lib.ucrm_batch_result_created(b, i, ctypes.byref(created)) != 0:
            created.value = -1
        return BatchResult(i, _str(rid.value) if rid.value else None, error,
                           None if created.value < 0 else bool(created.value))

    # -------- passthrough
    def passthrough(self, method, path, body=None, **opts):
        """Any provider request, through the same auth, rate limits and retries. Returns a Response for every
        HTTP status; raises only when no response could be obtained."""
        data = body if isinstance(body, (bytes, type(None))) else (
            body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8"))
        resp, err = ctypes.c_void_p(), ctypes.c_void_p()
        with _Opts(**opts) as o:
            _check(_lib.ucrm_passthrough(self._handle(), _enc(method), _enc(path), data, len(data or b""), o,
                                         ctypes.byref(resp), ctypes.byref(err)), err)
        return Response(resp)


class RecordIterator:
    """Iterates over records (dicts), fetching pages lazily. Also a context manager; close() frees it early.
    After an error, iterating again retries the failed page: no record is skipped or repeated."""

    def __init__(self, client, ptr, raw=False):
        self._client, self._ptr, self._raw = client, ptr, raw
        client._iters.append(self)

    def __iter__(self):
        return self

    def __next__(self):
        if not self._ptr:
            raise StopIteration
        rec, err = ctypes.c_void_p(), ctypes.c_void_p()
        rc = _lib.ucrm_iter_next(self._ptr, ctypes.byref(rec), ctypes.byref(err))
        if rc == ITEROVER:  # noqa: F821
            raise StopIteration
        _check(rc, err)
        try:
            return _record_to_dict(rec, self._raw)
        finally:
            _lib.ucrm_record_destroy(rec)

    @property
    def cursor(self):
        """Where the iteration stands: Client.resume(cursor) continues after the last record returned."""
        c = _lib.ucrm_iter_cursor(self._ptr) if self._ptr else None
        return _str(c) if c else None

    @property
    def total(self):
        """The number of matching records when the provider reported it, else None."""
        n = ctypes.c_int64()
        return n.value if self._ptr and _lib.ucrm_iter_total(self._ptr, ctypes.byref(n)) == 0 else None

    def close(self):
        if self._ptr:
            _lib.ucrm_iter_destroy(self._ptr)
            self._ptr = None
        if self in self._client._iters:
            self._client._iters.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class BatchResult:
    """One batch item: index, id (None when it failed without one), error (a UnicrmError or None), created
    (True/False for upsert and create when the provider said, else None)."""

    __slots__ = ("index", "id", "error", "created")

    def __init__(self, index, record_id, error, created):
        self.index, self.id, self.error, self.created = index, record_id, error, created

    @property
    def ok(self):
        return self.error is None

    def __repr__(self):
        return "BatchResult(%d, id=%r, error=%r, created=%r)" % (self.index, self.id, self.error, self.created)


class Response:
    """A raw provider response: status, content (bytes), text, json(), header(name). Holds the C response until
    close() (or the end of a with-block, or garbage collection) so that any header can be read."""

    def __init__(self, ptr):
        self._ptr = ptr
        self.status = _lib.ucrm_response_status(ptr)
        n = ctypes.c_size_t()
        body = _lib.ucrm_response_body(ptr, ctypes.byref(n))
        self.content = ctypes.string_at(body, n.value) if body else b""

    def header(self, name):
        """A response header by name (case-insensitive), or None."""
        if not self._ptr:
            raise ValueError("unicrm: the response is closed")
        v = _lib.ucrm_response_header(self._ptr, _enc(name))
        return None if v is None else _str(v)

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    def close(self):
        if self._ptr:
            _lib.ucrm_response_destroy(self._ptr)
        self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
