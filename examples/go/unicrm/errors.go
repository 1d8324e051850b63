package unicrm

/*
#include <unicrm/unicrm.h>
*/
import "C"

import (
	"fmt"
	"time"
)

// Code is a unicrm result code (ucrm_err_t): 0 is success, errors are negative. Its String() is the C name
// ("UCRM_ERR_NOT_FOUND"), read from the library.
type Code int

// The codes callers branch on; every other failure carries its own Code too (see Error.Code).
const (
	CodeOK             Code = C.UCRM_OK
	CodeInvalidArg     Code = C.UCRM_ERR_INVALID_ARG
	CodeUnsupported    Code = C.UCRM_ERR_UNSUPPORTED
	CodeNoEnt          Code = C.UCRM_ERR_NOENT
	CodeType           Code = C.UCRM_ERR_TYPE
	CodeInvalidField   Code = C.UCRM_ERR_INVALID_FIELD
	CodeState          Code = C.UCRM_ERR_STATE
	CodeUser           Code = C.UCRM_ERR_USER
	CodeFail           Code = C.UCRM_ERR_FAIL
	CodeNoMem          Code = C.UCRM_ERR_NOMEM
	CodeConfUnknown    Code = C.UCRM_ERR_CONF_UNKNOWN
	CodeConfInvalid    Code = C.UCRM_ERR_CONF_INVALID
	CodeNotBuiltIn     Code = C.UCRM_ERR_NOT_BUILT_IN
	CodeTransport      Code = C.UCRM_ERR_TRANSPORT
	CodeTimeout        Code = C.UCRM_ERR_TIMEOUT
	CodeTLS            Code = C.UCRM_ERR_TLS
	CodeAuth           Code = C.UCRM_ERR_AUTH
	CodeForbidden      Code = C.UCRM_ERR_FORBIDDEN
	CodeRateLimited    Code = C.UCRM_ERR_RATE_LIMITED
	CodeQuotaExhausted Code = C.UCRM_ERR_QUOTA_EXHAUSTED
	CodeNotFound       Code = C.UCRM_ERR_NOT_FOUND
	CodeConflict       Code = C.UCRM_ERR_CONFLICT
	CodeValidation     Code = C.UCRM_ERR_VALIDATION
	CodeProvider       Code = C.UCRM_ERR_PROVIDER
	CodeProtocol       Code = C.UCRM_ERR_PROTOCOL
	CodePartial        Code = C.UCRM_ERR_PARTIAL
)

// Sentinels for errors.Is: errors.Is(err, unicrm.ErrNotFound) is true for any *Error with that Code.
var (
	ErrNotFound       = &Error{Code: CodeNotFound}
	ErrConflict       = &Error{Code: CodeConflict}
	ErrValidation     = &Error{Code: CodeValidation}
	ErrInvalidField   = &Error{Code: CodeInvalidField}
	ErrRateLimited    = &Error{Code: CodeRateLimited}
	ErrQuotaExhausted = &Error{Code: CodeQuotaExhausted}
	ErrAuth           = &Error{Code: CodeAuth}
	ErrForbidden      = &Error{Code: CodeForbidden}
	ErrTransport      = &Error{Code: CodeTransport}
	ErrTimeout        = &Error{Code: CodeTimeout}
	ErrConfInvalid    = &Error{Code: CodeConfInvalid}
	ErrConfUnknown    = &Error{Code: CodeConfUnknown}
	ErrNotBuiltIn     = &Error{Code: CodeNotBuiltIn}
	ErrPartial        = &Error{Code: CodePartial}
	// ErrClosed is returned by calls on a closed Client or Iterator.
	ErrClosed = &Error{Code: CodeState, Message: "unicrm: closed"}
)

func (c Code) String() string { return C.GoString(C.ucrm_err_name(C.ucrm_err_t(c))) }

// WriteState says whether a failed write may have been applied by the provider.
type WriteState int

const (
	WriteNA         WriteState = C.UCRM_WRITE_NA          // not a write, or it succeeded
	WriteNotApplied WriteState = C.UCRM_WRITE_NOT_APPLIED // certainly not applied: safe to retry
	WriteUnknown    WriteState = C.UCRM_WRITE_UNKNOWN     // may have been applied: look before retrying
)

// Error is a failed call: a copy of every field of the C error object (ucrm_error_*()).
type Error struct {
	Code         Code
	Message      string
	Retriable    bool // repeating the same call later may succeed and cannot create a duplicate
	WriteState   WriteState
	HTTPStatus   int
	ProviderCode string // Salesforce errorCode, HubSpot category, OAuth error
	RequestID    string
	Field        string // the offending field (unified name when there is one)
	ExistingID   string // for CodeConflict: the existing record
	Details      string // provider detail as JSON text
	RetryAfter   time.Duration
}

func (e *Error) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same Code (the sentinels above).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// newError copies a C error object (which may be NULL) into an *Error; it does not destroy it.
func newError(rc C.ucrm_err_t, e *C.ucrm_error_t) *Error {
	code := Code(rc)
	if e != nil {
		code = Code(C.ucrm_error_code(e))
	}
	msg := C.GoString(C.ucrm_error_message(e))
	if msg == "" {
		msg = C.GoString(C.ucrm_err_str(C.ucrm_err_t(code)))
	}
	return &Error{
		Code:         code,
		Message:      msg,
		Retriable:    C.ucrm_error_is_retriable(e) != 0,
		WriteState:   WriteState(C.ucrm_error_write_state(e)),
		HTTPStatus:   int(C.ucrm_error_http_status(e)),
		ProviderCode: C.GoString(C.ucrm_error_provider_code(e)),
		RequestID:    C.GoString(C.ucrm_error_request_id(e)),
		Field:        C.GoString(C.ucrm_error_field(e)),
		ExistingID:   C.GoString(C.ucrm_error_existing_id(e)),
		Details:      C.GoString(C.ucrm_error_details(e)),
		RetryAfter:   time.Duration(C.ucrm_error_retry_after_ms(e)) * time.Millisecond,
	}
}

// check turns a result code and an optional error object into a Go error, destroying the object.
func check(rc C.ucrm_err_t, e *C.ucrm_error_t) error {
	defer C.ucrm_error_destroy(e)
	if rc >= 0 {
		return nil
	}
	return newError(rc, e)
}
