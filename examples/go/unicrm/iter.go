package unicrm

/*
#include <stdlib.h>
#include <unicrm/unicrm.h>
*/
import "C"

import "unsafe"

// Iterator walks over records, fetching pages as it goes:
//
//	for it.Next() { r := it.Record() ... }
//	if err := it.Err(); err != nil { ... }
//	it.Close()
//
// After an error, Next may be called again: the failed page is fetched again and no record is skipped or
// repeated. Not safe for concurrent use.
type Iterator struct {
	c   *Client
	ptr *C.ucrm_iter_t
	raw bool
	rec Record
	err error
}

type openFn func(p *C.ucrm_client_t, o *C.ucrm_reqopts_t, out **C.ucrm_iter_t, e **C.ucrm_error_t) C.ucrm_err_t

func (c *Client) iterate(opts *Options, open openFn) (*Iterator, error) {
	it := &Iterator{c: c, raw: opts.raw()}
	err := c.use(func(p *C.ucrm_client_t) error {
		o, err := opts.cOpts()
		if err != nil {
			return err
		}
		defer C.ucrm_reqopts_destroy(o)
		var e *C.ucrm_error_t
		var ptr *C.ucrm_iter_t // a local: cgo refuses a pointer into a struct that holds Go pointers
		if err := check(open(p, o, &ptr, &e), e); err != nil {
			return err
		}
		it.ptr = ptr
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.iters[it] = struct{}{}
	c.mu.Unlock()
	return it, nil
}

// List iterates over every record of obj.
func (c *Client) List(obj Object, opts *Options) (*Iterator, error) {
	return c.iterate(opts, func(p *C.ucrm_client_t, o *C.ucrm_reqopts_t, out **C.ucrm_iter_t, e **C.ucrm_error_t) C.ucrm_err_t {
		return C.ucrm_list(p, C.ucrm_object_t(obj), o, out, e)
	})
}

// Search iterates over the records whose unified field equals value.
func (c *Client) Search(obj Object, field, value string, opts *Options) (*Iterator, error) {
	return c.iterate(opts, func(p *C.ucrm_client_t, o *C.ucrm_reqopts_t, out **C.ucrm_iter_t, e **C.ucrm_error_t) C.ucrm_err_t {
		cf, cv := C.CString(field), C.CString(value)
		defer C.free(unsafe.Pointer(cf))
		defer C.free(unsafe.Pointer(cv))
		return C.ucrm_search(p, C.ucrm_object_t(obj), cf, cv, o, out, e)
	})
}

// Resume continues an iteration from a Cursor (in this or a later process).
func (c *Client) Resume(cursor string, opts *Options) (*Iterator, error) {
	return c.iterate(opts, func(p *C.ucrm_client_t, o *C.ucrm_reqopts_t, out **C.ucrm_iter_t, e **C.ucrm_error_t) C.ucrm_err_t {
		cc := C.CString(cursor)
		defer C.free(unsafe.Pointer(cc))
		return C.ucrm_iter_resume(p, cc, o, out, e)
	})
}

// Next advances to the next record; false at the end or on an error (see Err).
func (it *Iterator) Next() bool {
	it.rec, it.err = nil, nil
	it.c.mu.RLock()
	defer it.c.mu.RUnlock()
	if it.ptr == nil {
		return false
	}
	var rec *C.ucrm_record_t
	var e *C.ucrm_error_t
	rc := C.ucrm_iter_next(it.ptr, &rec, &e)
	if rc == C.UCRM_ITEROVER {
		return false
	}
	if it.err = check(rc, e); it.err != nil {
		return false
	}
	defer C.ucrm_record_destroy(rec)
	it.rec, it.err = recordFromC(rec, it.raw)
	return it.err == nil
}

// Record is the current record (after Next returned true).
func (it *Iterator) Record() Record { return it.rec }

// Err is the error that stopped Next, or nil at a normal end.
func (it *Iterator) Err() error { return it.err }

// Cursor is where the iteration stands: Client.Resume(cursor) continues after the last record returned.
func (it *Iterator) Cursor() string {
	it.c.mu.RLock()
	defer it.c.mu.RUnlock()
	if it.ptr == nil {
		return ""
	}
	if s := C.ucrm_iter_cursor(it.ptr); s != nil {
		return C.GoString(s)
	}
	return ""
}

// Total is the number of matching records when the provider reported it.
func (it *Iterator) Total() (int64, bool) {
	it.c.mu.RLock()
	defer it.c.mu.RUnlock()
	var n C.int64_t
	if it.ptr == nil || C.ucrm_iter_total(it.ptr, &n) != C.UCRM_OK {
		return 0, false
	}
	return int64(n), true
}

// Close frees the iterator. Calling it twice is harmless.
func (it *Iterator) Close() error {
	it.c.mu.Lock()
	defer it.c.mu.Unlock()
	it.closeLocked()
	return nil
}

func (it *Iterator) closeLocked() {
	C.ucrm_iter_destroy(it.ptr)
	it.ptr = nil
	delete(it.c.iters, it)
}
