package cfapi

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// apiError is an error with CloudFront's code and HTTP status. Handlers
// return it; handle writes it as the ErrorResponse envelope.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Constructors for the codes CloudFront uses (statuses from the service
// model; MalformedInput, the SigV4 codes and InternalError are AWS-wide).
func errNoSuchDistribution(id string) *apiError {
	return newError(http.StatusNotFound, "NoSuchDistribution", "The specified distribution does not exist: %s", id)
}
func errNoSuchInvalidation(id string) *apiError {
	return newError(http.StatusNotFound, "NoSuchInvalidation", "The specified invalidation does not exist: %s", id)
}
func errInvalidArgument(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidArgument", format, args...)
}
func errMalformedInput(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "MalformedInput", format, args...)
}
func errMissingBody() *apiError {
	return newError(http.StatusBadRequest, "MissingBody", "This operation requires a body.")
}
func errInconsistentQuantities(field string, quantity, items int) *apiError {
	return newError(http.StatusBadRequest, "InconsistentQuantities",
		"%s: Quantity is %d but %d items are given", field, quantity, items)
}
func errPreconditionFailed() *apiError {
	return newError(http.StatusPreconditionFailed, "PreconditionFailed",
		"The precondition given in one or more of the request-header fields evaluated to false.")
}
func errInvalidIfMatchVersion() *apiError {
	return newError(http.StatusBadRequest, "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
}
func errDistributionNotDisabled(id string) *apiError {
	return newError(http.StatusConflict, "DistributionNotDisabled",
		"The distribution you are trying to delete has not been disabled: %s", id)
}
func errCNAMEAlreadyExists(msg string) *apiError {
	return newError(http.StatusConflict, "CNAMEAlreadyExists", "%s", msg)
}
func errDistributionAlreadyExists(id string) *apiError {
	return newError(http.StatusConflict, "DistributionAlreadyExists",
		"The caller reference is already used by distribution %s with a different configuration.", id)
}
func errTooManyInvalidationsInProgress(msg string) *apiError {
	return newError(http.StatusBadRequest, "TooManyInvalidationsInProgress", "%s", msg)
}
func errIllegalUpdate(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "IllegalUpdate", format, args...)
}
func errBatchTooLarge(msg string) *apiError {
	return newError(http.StatusRequestEntityTooLarge, "BatchTooLarge", "%s", msg)
}
func errAccessDenied(code, msg string) *apiError {
	// code is AccessDenied, SignatureDoesNotMatch, InvalidClientTokenId,
	// MissingAuthenticationToken or IncompleteSignature: all 403 on
	// CloudFront.
	return newError(http.StatusForbidden, code, "%s", msg)
}
func errNotImplemented(op string) *apiError {
	return newError(http.StatusNotImplemented, "NotImplemented", "%s is not supported by Pharos", op)
}
func errInternal() *apiError {
	return newError(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
}

// errorResponse is CloudFront's error envelope.
type errorResponse struct {
	XMLName   xml.Name    `xml:"ErrorResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	Error     errorDetail `xml:"Error"`
	RequestID string      `xml:"RequestId"`
}

type errorDetail struct {
	Type    string `xml:"Type"` // Sender (4xx) or Receiver (5xx)
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeError writes e as the ErrorResponse envelope with the request id
// already set on w by handle.
func writeError(w http.ResponseWriter, e *apiError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, e.Status, errorResponse{Xmlns: Namespace,
		Error:     errorDetail{Type: typ, Code: e.Code, Message: e.Message},
		RequestID: w.Header().Get(requestIDHeader)})
}
