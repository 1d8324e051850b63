// Package unicrm is the Go binding of libunicrm: contacts, accounts and deals in Salesforce and HubSpot through
// one API, with the providers' rate limits and OAuth token refresh handled by the C library.
//
//	crm, err := unicrm.NewClient(unicrm.Config{"provider": "hubspot", "auth.access.token": token})
//	if err != nil { ... }
//	defer crm.Close()
//	ada, err := crm.Create(unicrm.Contact, unicrm.Record{"email": "ada@example.com", "first_name": "Ada"}, nil)
//	it, err := crm.List(unicrm.Deal, &unicrm.Options{UpdatedSince: "2026-05-01T00:00:00Z"})
//	for it.Next() { deal := it.Record(); ... }
//	if err := it.Err(); err != nil { ... }
//	it.Close()
//	if errors.Is(err, unicrm.ErrNotFound) { ... }   // err.(*unicrm.Error) has every field of the C error
//
// It builds with cgo against the installed library (pkg-config unicrm) and calls no Go code back from C. A
// Client is safe for concurrent use by many goroutines; an Iterator belongs to one goroutine at a time.
package unicrm

/*
#cgo pkg-config: unicrm
#include <stdlib.h>
#include <unicrm/unicrm.h>
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Version is the runtime library version ("1.0.0").
func Version() string { return C.GoString(C.ucrm_version_str()) }

// Features returns the names of the features built into the library: "hubspot", "salesforce", "jwt", ...
func Features() []string {
	bits := C.ucrm_features()
	names := []struct {
		bit  C.uint
		name string
	}{{C.UCRM_FEATURE_HUBSPOT, "hubspot"}, {C.UCRM_FEATURE_SALESFORCE, "salesforce"},
		{C.UCRM_FEATURE_THREADS, "threads"}, {C.UCRM_FEATURE_JWT, "jwt"}, {C.UCRM_FEATURE_REDIS, "redis"},
		{C.UCRM_FEATURE_TLS, "tls"}}
	var out []string
	for _, n := range names {
		if bits&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Object is a unified object type.
type Object int

const (
	Contact Object = C.UCRM_OBJECT_CONTACT
	Account Object = C.UCRM_OBJECT_ACCOUNT
	Deal    Object = C.UCRM_OBJECT_DEAL
)

func (o Object) String() string {
	s := C.ucrm_object_name(C.ucrm_object_t(o))
	if s == nil {
		return "unknown"
	}
	return C.GoString(s)
}

// ParseObject parses "contact", "account" or "deal" (plural forms too).
func ParseObject(name string) (Object, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var o C.ucrm_object_t
	if rc := C.ucrm_object_from_name(cs, &o); rc < 0 {
		return 0, &Error{Code: Code(rc), Message: "unknown object " + name}
	}
	return Object(o), nil
}

// Record is a record as unified fields: "id", "first_name", "amount", ..., "custom.<ProviderField>". Numbers
// are json.Number (exact); decimals such as amounts are strings.
type Record map[string]any

// ID is the record's id, or "".
func (r Record) ID() string {
	s, _ := r["id"].(string)
	return s
}

// Config holds configuration keys and values (docs/CONFIGURATION.md).
type Config map[string]string

// Priority is a rate-limit lane.
type Priority int

const (
	PriorityDefault Priority = 0
	PriorityLow     Priority = C.UCRM_PRIORITY_LOW
	PriorityNormal  Priority = C.UCRM_PRIORITY_NORMAL
	PriorityHigh    Priority = C.UCRM_PRIORITY_HIGH
)

// Options are per-call options; nil or zero fields mean the defaults.
type Options struct {
	Fields         []string      // unified fields to read (get, list, search)
	PageSize       int           // records per page (list, search)
	UpdatedSince   string        // RFC 3339: only records modified at or after (list)
	IncludeDeleted bool          // list deleted (archived) records too
	Timeout        time.Duration // total budget of the call, retries included
	Priority       Priority      // rate-limit lane
	MaxWait        time.Duration // longest rate-limiter wait; 0: ratelimit.wait.max.ms; negative: do not wait
	IdempotencyKey string        // sent with writes where the provider supports one
	AllOrNone      bool          // batches: all items or none (Salesforce)
	Raw            bool          // Get/iterators: the provider's own payload instead of unified fields
}

// cOpts builds a ucrm_reqopts_t; the caller destroys it (NULL when o is nil).
func (o *Options) cOpts() (*C.ucrm_reqopts_t, error) {
	if o == nil {
		return nil, nil
	}
	var p *C.ucrm_reqopts_t
	if err := check(C.ucrm_reqopts_new(&p), nil); err != nil {
		return nil, err
	}
	rc := C.ucrm_err_t(C.UCRM_OK)
	str := func(s string, set func(*C.char) C.ucrm_err_t) {
		if rc == C.UCRM_OK && s != "" {
			cs := C.CString(s)
			rc = set(cs)
			C.free(unsafe.Pointer(cs))
		}
	}
	str(strings.Join(o.Fields, ","), func(s *C.char) C.ucrm_err_t { return C.ucrm_reqopts_set_fields(p, s) })
	str(o.UpdatedSince, func(s *C.char) C.ucrm_err_t { return C.ucrm_reqopts_set_updated_since(p, s) })
	str(o.IdempotencyKey, func(s *C.char) C.ucrm_err_t { return C.ucrm_reqopts_set_idempotency_key(p, s) })
	if rc == C.UCRM_OK && o.PageSize != 0 {
		rc = C.ucrm_reqopts_set_page_size(p, C.int32_t(o.PageSize))
	}
	if rc == C.UCRM_OK && o.IncludeDeleted {
		rc = C.ucrm_reqopts_set_include_deleted(p, 1)
	}
	if rc == C.UCRM_OK && o.Timeout > 0 {
		rc = C.ucrm_reqopts_set_timeout_ms(p, C.int64_t(o.Timeout/time.Millisecond))
	}
	if rc == C.UCRM_OK && o.Priority != PriorityDefault {
		rc = C.ucrm_reqopts_set_priority(p, C.ucrm_priority_t(o.Priority))
	}
	if rc == C.UCRM_OK && o.MaxWait != 0 {
		ms := int64(o.MaxWait / time.Millisecond)
		if ms < 0 {
			ms = 0
		}
		rc = C.ucrm_reqopts_set_max_wait_ms(p, C.int64_t(ms))
	}
	if rc == C.UCRM_OK && o.AllOrNone {
		rc = C.ucrm_reqopts_set_all_or_none(p, 1)
	}
	if rc < 0 {
		C.ucrm_reqopts_destroy(p)
		return nil, &Error{Code: Code(rc), Message: "invalid request option: " + Code(rc).String()}
	}
	return p, nil
}

func (o *Options) raw() bool { return o != nil && o.Raw }

// Client is a connection to one CRM account. Safe for concurrent use; Close it when done.
type Client struct {
	mu    sync.RWMutex // calls hold it shared; Close holds it exclusively
	ptr   *C.ucrm_client_t
	iters map[*Iterator]struct{}
}

// NewClient creates a client from a configuration. No network I/O happens here. It fails when the loaded
// library has another major version than the header this package was built with.
func NewClient(cfg Config) (*Client, error) {
	if got := int(C.ucrm_version()) >> 16; got != C.UCRM_VERSION_MAJOR {
		return nil, &Error{Code: CodeNotBuiltIn, Message: "libunicrm " + Version() + " is not major version " +
			C.UCRM_VERSION_STR}
	}
	conf := C.ucrm_conf_new()
	if conf == nil {
		return nil, &Error{Code: CodeNoMem, Message: "out of memory"}
	}
	defer C.ucrm_conf_destroy(conf)
	for k, v := range cfg {
		ck, cv := C.CString(k), C.CString(v)
		var e *C.ucrm_error_t
		rc := C.ucrm_conf_set(conf, ck, cv, &e)
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
		if err := check(rc, e); err != nil {
			return nil, err
		}
	}
	var ptr *C.ucrm_client_t
	var e *C.ucrm_error_t
	if err := check(C.ucrm_client_new(&ptr, conf, &e), e); err != nil {
		return nil, err
	}
	return &Client{ptr: ptr, iters: map[*Iterator]struct{}{}}, nil
}

// Close destroys the client, closing its open iterators first. Calling it twice is harmless.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for it := range c.iters {
		it.closeLocked()
	}
	C.ucrm_client_destroy(c.ptr)
	c.ptr = nil
	return nil
}

// use runs fn with the client handle while holding the shared lock.
func (c *Client) use(fn func(p *C.ucrm_client_t) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return ErrClosed
	}
	return fn(c.ptr)
}

// Provider is "hubspot" or "salesforce".
func (c *Client) Provider() string {
	var s string
	_ = c.use(func(p *C.ucrm_client_t) error { s = C.GoString(C.ucrm_client_provider(p)); return nil })
	return s
}

// Stats returns the client's metrics (requests, errors, retries, 429s, token refreshes, latency).
func (c *Client) Stats() (map[string]any, error) {
	var out map[string]any
	err := c.use(func(p *C.ucrm_client_t) error {
		var s *C.char
		var e *C.ucrm_error_t
		if err := check(C.ucrm_client_stats_json(p, &s, &e), e); err != nil {
			return err
		}
		return json.Unmarshal([]byte(takeString(s)), &out)
	})
	return out, err
}

// takeString copies a string unicrm returned through a char ** and frees it.
func takeString(s *C.char) string {
	defer C.ucrm_free(unsafe.Pointer(s))
	return C.GoString(s)
}

func decodeRecord(text string) (Record, error) {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var r Record
	return r, d.Decode(&r)
}

func recordFromC(rec *C.ucrm_record_t, raw bool) (Record, error) {
	var s *C.char
	if raw && C.ucrm_record_remote_json(rec, &s) == C.UCRM_OK {
		return decodeRecord(takeString(s))
	}
	if err := check(C.ucrm_record_to_json(rec, &s), nil); err != nil {
		return nil, err
	}
	return decodeRecord(takeString(s))
}

// recordToC builds a C record from r (and id, when not ""); the caller destroys it.
func recordToC(obj Object, r Record, id string) (*C.ucrm_record_t, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	text := bytes.TrimRight(buf.Bytes(), "\n")
	cs := C.CBytes(text)
	defer C.free(cs)
	var rec *C.ucrm_record_t
	var e *C.ucrm_error_t
	if err := check(C.ucrm_record_new_from_json(&rec, C.ucrm_object_t(obj), (*C.char)(cs), C.size_t(len(text)), &e), e); err != nil {
		return nil, err
	}
	if id != "" {
		cid := C.CString(id)
		defer C.free(unsafe.Pointer(cid))
		if err := check(C.ucrm_record_set_id(rec, cid), nil); err != nil {
			C.ucrm_record_destroy(rec)
			return nil, err
		}
	}
	return rec, nil
}

// Get reads one record by id; errors.Is(err, ErrNotFound) when it does not exist.
func (c *Client) Get(obj Object, id string, opts *Options) (Record, error) {
	var out Record
	err := c.use(func(p *C.ucrm_client_t) error {
		o, err := opts.cOpts()
		if err != nil {
			return err
		}
		defer C.ucrm_reqopts_destroy(o)
		cid := C.CString(id)
		defer C.free(unsafe.Pointer(cid))
		var rec *C.ucrm_record_t
		var e *C.ucrm_error_t
		if err := check(C.ucrm_get(p, C.ucrm_object_t(obj), cid, o, &rec, &e), e); err != nil {
			return err
		}
		defer C.ucrm_record_destroy(rec)
		out, err = recordFromC(rec, opts.raw())
		return err
	})
	return out, err
}

type writeFn func(p *C.ucrm_client_t, rec *C.ucrm_record_t, o *C.ucrm_reqopts_t, e **C.ucrm_error_t) C.ucrm_err_t

func (c *Client) write(obj Object, r Record, id string, opts *Options, fn writeFn) (Record, error) {
	var out Record
	err := c.use(func(p *C.ucrm_client_t) error {
		rec, err := recordToC(obj, r, id)
		if err != nil {
			return err
		}
		defer C.ucrm_record_destroy(rec)
		o, err := opts.cOpts()
		if err != nil {
			return err
		}
		defer C.ucrm_reqopts_destroy(o)
		var e *C.ucrm_error_t
		if err := check(fn(p, rec, o, &e), e); err != nil {
			return err
		}
		out, err = recordFromC(rec, false)
		return err
	})
	return out, err
}

// Create creates the record and returns it with its new "id" (and what the provider set).
func (c *Client) Create(obj Object, r Record, opts *Options) (Record, error) {
	return c.write(obj, r, "", opts, func(p *C.ucrm_client_t, rec *C.ucrm_record_t, o *C.ucrm_reqopts_t, e **C.ucrm_error_t) C.ucrm_err_t {
		return C.ucrm_create(p, rec, o, e)
	})
}

// Update sends the given fields (only those) to record id; returns what was sent.
func (c *Client) Update(obj Object, id string, changes Record, opts *Options) (Record, error) {
	return c.write(obj, changes, id, opts, func(p *C.ucrm_client_t, rec *C.ucrm_record_t, o *C.ucrm_reqopts_t, e **C.ucrm_error_t) C.ucrm_err_t {
		return C.ucrm_update(p, rec, o, e)
	})
}

// Upsert creates or updates by the unique field key ("email", "custom.External_Id__c"; "" uses the
// upsert.<object>.key configuration).
func (c *Client) Upsert(obj Object, r Record, key string, opts *Options) (Record, error) {
	return c.write(obj, r, "", opts, func(p *C.ucrm_client_t, rec *C.ucrm_record_t, o *C.ucrm_reqopts_t, e **C.ucrm_error_t) C.ucrm_err_t {
		var ck *C.char
		if key != "" {
			ck = C.CString(key)
			defer C.free(unsafe.Pointer(ck))
		}
		return C.ucrm_upsert(p, rec, ck, o, e)
	})
}

// Delete deletes (HubSpot: archives) a record.
func (c *Client) Delete(obj Object, id string, opts *Options) error {
	return c.use(func(p *C.ucrm_client_t) error {
		o, err := opts.cOpts()
		if err != nil {
			return err
		}
		defer C.ucrm_reqopts_destroy(o)
		cid := C.CString(id)
		defer C.free(unsafe.Pointer(cid))
		var e *C.ucrm_error_t
		return check(C.ucrm_delete(p, C.ucrm_object_t(obj), cid, o, &e), e)
	})
}
