package unicrm

/*
#include <stdlib.h>
#include <unicrm/unicrm.h>
*/
import "C"

import "unsafe"

// BatchOp is the kind of write a batch does.
type BatchOp int

const (
	BatchCreate BatchOp = C.UCRM_BATCH_CREATE
	BatchUpdate BatchOp = C.UCRM_BATCH_UPDATE // every record needs its "id"
	BatchUpsert BatchOp = C.UCRM_BATCH_UPSERT
	BatchDelete BatchOp = C.UCRM_BATCH_DELETE // use Client.BatchDelete
)

// BatchResult is the outcome of one item, in the order the items were given.
type BatchResult struct {
	ID      string // "" when the item failed without one
	Err     error  // nil on success, else an *Error
	Created *bool  // create/upsert: whether a record was created, when the provider said
}

// Batch runs op over records, chunked to the provider's batch size. key is the unique field for BatchUpsert
// ("" uses the configuration). The error is nil or ErrPartial-like (errors.Is(err, ErrPartial)) when items ran,
// with each item's outcome in the results; any other error means the batch could not run.
func (c *Client) Batch(op BatchOp, obj Object, records []Record, key string, opts *Options) ([]BatchResult, error) {
	return c.runBatch(op, obj, key, opts, len(records), func(b *C.ucrm_batch_t, i int) error {
		rec, err := recordToC(obj, records[i], "")
		if err != nil {
			return err
		}
		defer C.ucrm_record_destroy(rec)
		return check(C.ucrm_batch_add(b, rec), nil)
	})
}

// BatchDelete deletes records by id in batches.
func (c *Client) BatchDelete(obj Object, ids []string, opts *Options) ([]BatchResult, error) {
	return c.runBatch(BatchDelete, obj, "", opts, len(ids), func(b *C.ucrm_batch_t, i int) error {
		cid := C.CString(ids[i])
		defer C.free(unsafe.Pointer(cid))
		return check(C.ucrm_batch_add_id(b, cid), nil)
	})
}

func (c *Client) runBatch(op BatchOp, obj Object, key string, opts *Options, n int,
	add func(b *C.ucrm_batch_t, i int) error) ([]BatchResult, error) {
	var results []BatchResult
	var runErr error
	err := c.use(func(p *C.ucrm_client_t) error {
		var b *C.ucrm_batch_t
		if err := check(C.ucrm_batch_new(&b, C.ucrm_object_t(obj), C.ucrm_batch_op_t(op)), nil); err != nil {
			return err
		}
		defer C.ucrm_batch_destroy(b)
		if key != "" {
			ck := C.CString(key)
			rc := C.ucrm_batch_set_key_field(b, ck)
			C.free(unsafe.Pointer(ck))
			if err := check(rc, nil); err != nil {
				return err
			}
		}
		for i := 0; i < n; i++ {
			if err := add(b, i); err != nil {
				return err
			}
		}
		o, err := opts.cOpts()
		if err != nil {
			return err
		}
		defer C.ucrm_reqopts_destroy(o)
		var e *C.ucrm_error_t
		rc := C.ucrm_batch_run(p, b, o, &e)
		runErr = check(rc, e)
		if rc < 0 && rc != C.UCRM_ERR_PARTIAL {
			return runErr
		}
		results = make([]BatchResult, int(C.ucrm_batch_count(b)))
		for i := range results {
			var id *C.char
			var ie *C.ucrm_error_t // borrowed from the batch: copied, not destroyed
			irc := C.ucrm_batch_result(b, C.size_t(i), &id, &ie)
			if id != nil {
				results[i].ID = C.GoString(id)
			}
			if irc < 0 {
				results[i].Err = newError(irc, ie)
				continue
			}
			var created C.int
			if C.ucrm_batch_result_created(b, C.size_t(i), &created) == C.UCRM_OK {
				v := created != 0
				results[i].Created = &v
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, runErr
}

// Response is a raw provider response from Passthrough.
type Response struct {
	Status int
	Body   []byte
	header map[string]string
}

// Header returns a response header (case-insensitive name), or "".
func (r *Response) Header(name string) string { return r.header[lower(name)] }

func lower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}

// Passthrough sends any request to the provider through the same auth, rate limits and retries as the unified
// calls. method: GET, POST, PATCH, PUT, DELETE; path relative to the API base ("{version}" is replaced). A
// response with any HTTP status is returned without error; an error means no response could be obtained.
// headers names the response headers to keep (all responses keep Content-Type).
func (c *Client) Passthrough(method, path string, body []byte, opts *Options, headers ...string) (*Response, error) {
	var out *Response
	err := c.use(func(p *C.ucrm_client_t) error {
		o, err := opts.cOpts()
		if err != nil {
			return err
		}
		defer C.ucrm_reqopts_destroy(o)
		cm, cp := C.CString(method), C.CString(path)
		defer C.free(unsafe.Pointer(cm))
		defer C.free(unsafe.Pointer(cp))
		var cb *C.char
		if body != nil {
			cb = (*C.char)(C.CBytes(body))
			defer C.free(unsafe.Pointer(cb))
		}
		var resp *C.ucrm_response_t
		var e *C.ucrm_error_t
		if err := check(C.ucrm_passthrough(p, cm, cp, cb, C.size_t(len(body)), o, &resp, &e), e); err != nil {
			return err
		}
		defer C.ucrm_response_destroy(resp)
		var n C.size_t
		data := C.ucrm_response_body(resp, &n)
		out = &Response{Status: int(C.ucrm_response_status(resp)), Body: C.GoBytes(unsafe.Pointer(data), C.int(n)),
			header: map[string]string{}}
		for _, h := range append([]string{"Content-Type"}, headers...) {
			ch := C.CString(h)
			if v := C.ucrm_response_header(resp, ch); v != nil {
				out.header[lower(h)] = C.GoString(v)
			}
			C.free(unsafe.Pointer(ch))
		}
		return nil
	})
	return out, err
}
