package cfapi

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Namespace is the XML namespace of every request and response root.
const Namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"

// maxBody bounds a request body (CloudFront's own limit for a
// distribution config is in this range).
const maxBody = 1 << 20

// decodeXML reads the request body into v. The root element's name is
// checked by encoding/xml against v's XMLName; the AWS SDK sorts elements
// alphabetically and the CLI sends them in model order, so v's types never
// depend on order. A missing body is MissingBody; anything unreadable is
// MalformedInput.
func decodeXML(r *http.Request, v any) error {
	if r.Body == nil {
		return errMissingBody()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errMalformedInput("read body: %v", err)
	}
	if len(body) > maxBody {
		return errMalformedInput("the request body is over %d bytes", maxBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return errMissingBody()
	}
	dec := xml.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(v); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return errMalformedInput("the XML you provided was not well-formed: line %d: %s", se.Line, se.Msg)
		}
		return errMalformedInput("the XML you provided did not match the schema: %v", err)
	}
	return nil
}

// writeXML writes v as the response body with status, behind the XML
// declaration. Root types carry `xml:"xmlns,attr"` set to Namespace.
func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		// Our own types always marshal; reaching here is a bug.
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(b)))
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(b)
}

// A list in CloudFront's XML is <Quantity>n</Quantity><Items>…</Items>,
// Items omitted when empty. Each list type embeds its members under their
// own element name (CNAME, Origin, Path, …), so the types are declared
// where they are used; these helpers keep Quantity honest both ways.

// quantity is what a response puts in Quantity.
func quantity[T any](items []T) int { return len(items) }

// checkQuantity is how a request's list is checked: Quantity must equal the
// number of Items (CloudFront's InconsistentQuantities).
func checkQuantity(field string, q *int, n int) error {
	got := 0
	if q != nil {
		got = *q
	}
	if q == nil && n == 0 {
		return nil
	}
	if q == nil {
		return errInconsistentQuantities(field, 0, n)
	}
	if got != n {
		return errInconsistentQuantities(field, got, n)
	}
	return nil
}

// boolText reads an XML boolean as the AWS model writes it.
func boolText(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
