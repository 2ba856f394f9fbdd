package h2

import (
	"strconv"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// headerBlock collects one decoded request header block and checks it as
// it is decoded (RFC 9113 §8.2, §8.3). The decoder must see every block,
// whatever becomes of the stream, to keep its table in step with the
// peer's, so a bad or oversized block is decoded to the end and only
// marked.
type headerBlock struct {
	c                               *conn
	fields                          []hpack.HeaderField // regular fields
	method, scheme, authority, path string
	pseudo                          uint8 // pseudo-header fields seen (bits below)
	sawRegular                      bool
	trailers                        bool // a trailer block: no pseudo-header fields allowed
	size                            uint32
	truncated                       bool // over MaxHeaderListSize: fields dropped, 431
	invalid                         bool // malformed: stream error PROTOCOL_ERROR
	cookies                         int
	expect100                       bool
}

const (
	hasMethod = 1 << iota
	hasScheme
	hasAuthority
	hasPath
)

func (hb *headerBlock) reset(trailers bool) {
	hb.fields = hb.fields[:0]
	hb.method, hb.scheme, hb.authority, hb.path = "", "", "", ""
	hb.pseudo, hb.sawRegular, hb.trailers = 0, false, trailers
	hb.size, hb.truncated, hb.invalid = 0, false, false
	hb.cookies, hb.expect100 = 0, false
}

// emit is the decoder's callback, once per field.
func (hb *headerBlock) emit(f hpack.HeaderField) {
	if hb.truncated || hb.invalid {
		return
	}
	hb.size += f.Size()
	if hb.size > hb.c.srv.maxHeaderList() {
		hb.truncated = true
		return
	}
	if !httpguts.ValidHeaderFieldValue(f.Value) {
		hb.invalid = true
		return
	}
	if len(f.Name) > 0 && f.Name[0] == ':' {
		hb.pseudoField(f)
		return
	}
	hb.sawRegular = true
	if !validWireName(f.Name) {
		hb.invalid = true // upper case, or not a token
		return
	}
	switch f.Name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		hb.invalid = true // connection-specific (RFC 9113 §8.2.2)
		return
	case "te":
		if f.Value != "trailers" {
			hb.invalid = true
			return
		}
	case "cookie":
		hb.cookies++
	case "expect":
		if asciiEqualFold(f.Value, "100-continue") {
			hb.expect100 = true
		}
	}
	hb.fields = append(hb.fields, f)
}

func (hb *headerBlock) pseudoField(f hpack.HeaderField) {
	if hb.sawRegular || hb.trailers {
		hb.invalid = true // pseudo-header fields come first, and not in trailers
		return
	}
	var bit uint8
	switch f.Name {
	case ":method":
		bit, hb.method = hasMethod, f.Value
	case ":scheme":
		bit, hb.scheme = hasScheme, f.Value
	case ":authority":
		bit, hb.authority = hasAuthority, f.Value
	case ":path":
		bit, hb.path = hasPath, f.Value
	default:
		hb.invalid = true // a response's, or one this server does not know
		return
	}
	if hb.pseudo&bit != 0 {
		hb.invalid = true // given twice
	}
	hb.pseudo |= bit
}

// checkRequest checks the pseudo-header fields of a request and its
// content-length, which it returns (-1 when absent).
func (hb *headerBlock) checkRequest() (int64, bool) {
	if hb.invalid || hb.pseudo&hasMethod == 0 {
		return 0, false
	}
	if hb.method == "CONNECT" {
		// RFC 9113 §8.5: only :method and :authority.
		if hb.pseudo != hasMethod|hasAuthority {
			return 0, false
		}
	} else {
		if hb.pseudo&hasScheme == 0 || hb.pseudo&hasPath == 0 || hb.path == "" {
			return 0, false
		}
		if hb.path[0] != '/' && !(hb.path == "*" && hb.method == "OPTIONS") {
			return 0, false
		}
	}
	cl := int64(-1)
	for _, f := range hb.fields {
		if f.Name != "content-length" {
			continue
		}
		n, err := strconv.ParseUint(f.Value, 10, 63)
		if err != nil || f.Value == "" || f.Value[0] == '+' || cl >= 0 && int64(n) != cl {
			return 0, false
		}
		cl = int64(n)
	}
	return cl, true
}

// maxContinuations bounds the CONTINUATION frames of one header block:
// a block of legitimate size needs a handful; a stream of empty ones is a
// flood (CVE-2024-27316).
const maxContinuations = 64

// readHeaderBlock decodes the block hf starts, reading its CONTINUATION
// frames. Errors are connection errors: the decoder failed, the block is
// far over the size limit or split into too many frames.
func (c *conn) readHeaderBlock(hf *http2.HeadersFrame) error {
	frag := hf.HeaderBlockFragment()
	total := len(frag)
	if _, err := c.hdec.Write(frag); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	for n := 0; !hf.HeadersEnded(); n++ {
		fh, err := c.fr.ReadFrameHeader()
		if err != nil {
			return err
		}
		f, err := c.fr.ReadFrameForHeader(fh)
		if err != nil {
			return err
		}
		cf, ok := f.(*http2.ContinuationFrame)
		if !ok { // the framer lets nothing else through here
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		frag = cf.HeaderBlockFragment()
		total += len(frag)
		if n >= maxContinuations || total > 4*int(c.srv.maxHeaderList()) {
			return http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
		}
		if _, err := c.hdec.Write(frag); err != nil {
			return http2.ConnectionError(http2.ErrCodeCompression)
		}
		if cf.HeadersEnded() {
			break
		}
	}
	if err := c.hdec.Close(); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	return nil
}

// tokenChars are the characters of an RFC 9110 token, lower case only
// (HTTP/2 field names must be lower case).
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func validWireName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !tokenChars[name[i]] {
			return false
		}
	}
	return true
}

func asciiEqualFold(a, lower string) bool {
	if len(a) != len(lower) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
