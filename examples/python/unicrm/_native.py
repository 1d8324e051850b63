"""Loads libunicrm and declares the C signatures (argtypes/restype) of every function the binding calls.

Where the library comes from, first match wins:
  1. $UCRM_LIB (a path; an error if it cannot be loaded),
  2. the source tree this package sits in (lib/libunicrm.so.1, for examples/python inside the repository),
  3. the system's libunicrm.so.1 (ld.so search path, e.g. after `make install`).
"""
import ctypes
import os

_p = ctypes.c_void_p          # every handle is opaque: a plain pointer
_pp = ctypes.POINTER(ctypes.c_void_p)
_s = ctypes.c_char_p
_i = ctypes.c_int
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_sz = ctypes.c_size_t
_err = ctypes.c_int           # ucrm_err_t and the other enums are int-sized

LOG_CB = ctypes.CFUNCTYPE(None, _i, _s, _s, _p)
TOKEN_CB = ctypes.CFUNCTYPE(_i, _s, _s, _i64, _s, _p)

# name: (restype, [argtypes])
SIGNATURES = {
    "ucrm_version": (_i, []),
    "ucrm_version_str": (_s, []),
    "ucrm_features": (ctypes.c_uint, []),
    "ucrm_err_list": (_err, [ctypes.POINTER(ctypes.POINTER(_err)), ctypes.POINTER(_sz)]),
    "ucrm_err_name": (_s, [_err]),
    "ucrm_err_str": (_s, [_err]),
    "ucrm_error_code": (_err, [_p]),
    "ucrm_error_message": (_s, [_p]),
    "ucrm_error_is_retriable": (_i, [_p]),
    "ucrm_error_write_state": (_i, [_p]),
    "ucrm_error_http_status": (_i, [_p]),
    "ucrm_error_provider_code": (_s, [_p]),
    "ucrm_error_request_id": (_s, [_p]),
    "ucrm_error_retry_after_ms": (_i64, [_p]),
    "ucrm_error_field": (_s, [_p]),
    "ucrm_error_existing_id": (_s, [_p]),
    "ucrm_error_details": (_s, [_p]),
    "ucrm_error_user_code": (_i, [_p]),
    "ucrm_error_dup": (_p, [_p]),
    "ucrm_error_destroy": (None, [_p]),
    "ucrm_free": (None, [_p]),
    "ucrm_conf_new": (_p, []),
    "ucrm_conf_set": (_err, [_p, _s, _s, _pp]),
    "ucrm_conf_destroy": (None, [_p]),
    "ucrm_conf_describe_json": (_err, [_pp]),
    "ucrm_conf_set_log_cb": (_err, [_p, LOG_CB, _p]),
    "ucrm_conf_set_token_cb": (_err, [_p, TOKEN_CB, _p]),
    "ucrm_client_new": (_err, [_pp, _p, _pp]),
    "ucrm_client_destroy": (None, [_p]),
    "ucrm_client_provider": (_s, [_p]),
    "ucrm_client_stats_json": (_err, [_p, _pp, _pp]),
    "ucrm_client_set_token": (_err, [_p, _s, _s, _i64, _s, _pp]),
    "ucrm_object_from_name": (_err, [_s, ctypes.POINTER(_i)]),
    "ucrm_object_name": (_s, [_i]),
    "ucrm_record_new_from_json": (_err, [_pp, _i, _s, _sz, _pp]),
    "ucrm_record_destroy": (None, [_p]),
    "ucrm_record_to_json": (_err, [_p, _pp]),
    "ucrm_record_remote_json": (_err, [_p, _pp]),
    "ucrm_record_set_id": (_err, [_p, _s]),
    "ucrm_reqopts_new": (_err, [_pp]),
    "ucrm_reqopts_destroy": (None, [_p]),
    "ucrm_reqopts_set_fields": (_err, [_p, _s]),
    "ucrm_reqopts_set_page_size": (_err, [_p, _i32]),
    "ucrm_reqopts_set_updated_since": (_err, [_p, _s]),
    "ucrm_reqopts_set_include_deleted": (_err, [_p, _i]),
    "ucrm_reqopts_set_timeout_ms": (_err, [_p, _i64]),
    "ucrm_reqopts_set_priority": (_err, [_p, _i]),
    "ucrm_reqopts_set_max_wait_ms": (_err, [_p, _i64]),
    "ucrm_reqopts_set_idempotency_key": (_err, [_p, _s]),
    "ucrm_reqopts_set_all_or_none": (_err, [_p, _i]),
    "ucrm_get": (_err, [_p, _i, _s, _p, _pp, _pp]),
    "ucrm_create": (_err, [_p, _p, _p, _pp]),
    "ucrm_update": (_err, [_p, _p, _p, _pp]),
    "ucrm_delete": (_err, [_p, _i, _s, _p, _pp]),
    "ucrm_upsert": (_err, [_p, _p, _s, _p, _pp]),
    "ucrm_list": (_err, [_p, _i, _p, _pp, _pp]),
    "ucrm_search": (_err, [_p, _i, _s, _s, _p, _pp, _pp]),
    "ucrm_iter_next": (_err, [_p, _pp, _pp]),
    "ucrm_iter_cursor": (_s, [_p]),
    "ucrm_iter_resume": (_err, [_p, _s, _p, _pp, _pp]),
    "ucrm_iter_total": (_err, [_p, ctypes.POINTER(_i64)]),
    "ucrm_iter_destroy": (None, [_p]),
    "ucrm_batch_new": (_err, [_pp, _i, _i]),
    "ucrm_batch_set_key_field": (_err, [_p, _s]),
    "ucrm_batch_add": (_err, [_p, _p]),
    "ucrm_batch_add_id": (_err, [_p, _s]),
    "ucrm_batch_run": (_err, [_p, _p, _p, _pp]),
    "ucrm_batch_count": (_sz, [_p]),
    "ucrm_batch_result": (_err, [_p, _sz, ctypes.POINTER(_s), _pp]),
    "ucrm_batch_result_created": (_err, [_p, _sz, ctypes.POINTER(_i)]),
    "ucrm_batch_destroy": (None, [_p]),
    "ucrm_passthrough": (_err, [_p, _s, _s, _s, _sz, _p, _pp, _pp]),
    "ucrm_response_status": (_i, [_p]),
    "ucrm_response_body": (_p, [_p, ctypes.POINTER(_sz)]),
    "ucrm_response_header": (_s, [_p, _s]),
    "ucrm_response_destroy": (None, [_p]),
}

SUPPORTED_MAJOR = 1


def _candidates():
    env = os.environ.get("UCRM_LIB")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.normpath(os.path.join(here, "..", "..", "..", "lib", "libunicrm.so.1"))
    return ([tree] if os.path.exists(tree) else []) + ["libunicrm.so.1"], False


def load():
    paths, explicit = _candidates()
    errors = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append("%s: %s" % (path, e))
            if explicit:
                break
    else:
        raise ImportError("unicrm: cannot load libunicrm (" + "; ".join(errors) + "); set UCRM_LIB to its path")
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    major = lib.ucrm_version() >> 16
    if major != SUPPORTED_MAJOR:
        raise ImportError("unicrm: libunicrm %s has major version %d; this binding needs %d"
                          % (lib.ucrm_version_str().decode(), major, SUPPORTED_MAJOR))
    return lib, path
