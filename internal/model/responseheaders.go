package model

// ResponseHeadersPolicy is CloudFront's response headers policy: headers
// the edge adds to (or removes from) responses to viewers. The fields are
// filled in by the work on response headers policies.
type ResponseHeadersPolicy struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Comment string `json:"comment,omitempty"`
}
