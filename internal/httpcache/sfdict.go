package httpcache

import (
	"strings"
	"unicode/utf8"
)

// A minimal Structured Field Dictionary parser (RFC 8941 §4.2.2, with the Date and Display
// String types of RFC 9651), enough to read targeted cache-control fields (RFC 9213 §2.2).
// Parameters are validated and dropped; byte sequences are validated but not decoded.

// sfKind is the type of a bare item or inner list.
type sfKind uint8

const (
	sfInteger sfKind = iota + 1
	sfDecimal
	sfString
	sfToken
	sfBytes
	sfBoolean
	sfDate
	sfDisplayString
	sfInnerList
)

// sfValue is a Dictionary member's value. num holds an Integer or Date, str a String or
// Token, boolean a Boolean, list the items of an Inner List.
type sfValue struct {
	kind    sfKind
	num     int64
	str     string
	boolean bool
	list    []sfValue
}

// sfParser walks an input string.
type sfParser struct {
	s string
	i int
}

// parseSFDictionary parses s as a Dictionary and calls member for each member in order (so a
// repeated key's last value is the one that sticks, as RFC 8941 §4.2.2 requires). It returns
// false on any syntax error or when member returns false; the caller then ignores the field
// as a whole. It returns the number of members seen.
func parseSFDictionary(s string, member func(key string, v sfValue) bool) (int, bool) {
	p := sfParser{s: s}
	p.skipSP()
	n := 0
	for !p.eof() {
		key, ok := p.key()
		if !ok {
			return n, false
		}
		v := sfValue{kind: sfBoolean, boolean: true}
		if p.peek('=') {
			p.i++
			if v, ok = p.itemOrInnerList(); !ok {
				return n, false
			}
		}
		if !p.params() || !member(key, v) {
			return n, false
		}
		n++
		p.skipOWS()
		if p.eof() {
			break
		}
		if !p.peek(',') {
			return n, false
		}
		p.i++
		p.skipOWS()
		if p.eof() {
			return n, false // a trailing comma is an error (RFC 8941 §4.2.2)
		}
	}
	return n, true
}

func (p *sfParser) eof() bool { return p.i >= len(p.s) }

func (p *sfParser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

func (p *sfParser) skipSP() {
	for p.peek(' ') {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.peek(' ') || p.peek('\t') {
		p.i++
	}
}

// key parses a key: ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ). Keys are
// lower case only, so a targeted field with "MaX-aGe" is a parse error.
func (p *sfParser) key() (string, bool) {
	start := p.i
	if p.eof() || !(isLower(p.s[p.i]) || p.s[p.i] == '*') {
		return "", false
	}
	p.i++
	for !p.eof() {
		c := p.s[p.i]
		if !(isLower(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.i++
	}
	return p.s[start:p.i], true
}

// params parses and drops parameters: *( ";" *SP key [ "=" bare-item ] ).
func (p *sfParser) params() bool {
	for p.peek(';') {
		p.i++
		p.skipSP()
		if _, ok := p.key(); !ok {
			return false
		}
		if p.peek('=') {
			p.i++
			if _, ok := p.bareItem(); !ok {
				return false
			}
		}
	}
	return true
}

// itemOrInnerList parses a member value; the caller parses its parameters.
func (p *sfParser) itemOrInnerList() (sfValue, bool) {
	if !p.peek('(') {
		return p.bareItem()
	}
	p.i++
	v := sfValue{kind: sfInnerList}
	for {
		p.skipSP()
		if p.eof() {
			return v, false
		}
		if p.peek(')') {
			p.i++
			return v, true
		}
		item, ok := p.bareItem()
		if !ok || !p.params() {
			return v, false
		}
		v.list = append(v.list, item)
		if !p.peek(' ') && !p.peek(')') {
			return v, false
		}
	}
}

// bareItem parses one bare item, dispatching on its first character (RFC 8941 §4.2.3.1).
func (p *sfParser) bareItem() (sfValue, bool) {
	if p.eof() {
		return sfValue{}, false
	}
	switch c := p.s[p.i]; {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		s, ok := p.str()
		return sfValue{kind: sfString, str: s}, ok
	case c == '*' || isAlpha(c):
		return p.token(), true
	case c == ':':
		return p.bytes()
	case c == '?':
		return p.boolean()
	case c == '@':
		p.i++
		v, ok := p.number()
		return sfValue{kind: sfDate, num: v.num}, ok && v.kind == sfInteger
	case c == '%':
		return p.displayString()
	}
	return sfValue{}, false
}

// number parses an Integer (at most 15 digits) or a Decimal (at most 12 integer and 3
// fractional digits) (RFC 8941 §4.2.4).
func (p *sfParser) number() (sfValue, bool) {
	neg := p.peek('-')
	if neg {
		p.i++
	}
	if p.eof() || !isDigit(p.s[p.i]) {
		return sfValue{}, false
	}
	var n int64
	intDigits, fracDigits, decimal := 0, 0, false
scan:
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case isDigit(c) && !decimal:
			n = n*10 + int64(c-'0')
			intDigits++
		case isDigit(c):
			fracDigits++
		case c == '.' && !decimal && intDigits <= 12:
			decimal = true
		default:
			break scan
		}
		if (!decimal && intDigits > 15) || fracDigits > 3 {
			return sfValue{}, false
		}
		p.i++
	}
	if decimal {
		return sfValue{kind: sfDecimal}, fracDigits > 0
	}
	if neg {
		n = -n
	}
	return sfValue{kind: sfInteger, num: n}, true
}

// str parses a String: printable ASCII with \" and \\ as the only escapes (RFC 8941 §4.2.5).
func (p *sfParser) str() (string, bool) {
	p.i++ // the opening DQUOTE
	start := p.i
	var b *strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if b == nil {
				return p.s[start : p.i-1], true
			}
			return b.String(), true
		case c == '\\':
			if p.i+1 >= len(p.s) || (p.s[p.i+1] != '"' && p.s[p.i+1] != '\\') {
				return "", false
			}
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(p.s[start:p.i])
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
			continue
		case c < 0x20 || c > 0x7E:
			return "", false
		}
		if b != nil {
			b.WriteByte(c)
		}
		p.i++
	}
	return "", false
}

// token parses a Token: ( ALPHA / "*" ) *( tchar / ":" / "/" ) (RFC 8941 §4.2.6).
func (p *sfParser) token() sfValue {
	start := p.i
	p.i++
	for !p.eof() && (isTchar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
		p.i++
	}
	return sfValue{kind: sfToken, str: p.s[start:p.i]}
}

// bytes parses a Byte Sequence: ":" base64 ":" (RFC 8941 §4.2.7).
func (p *sfParser) bytes() (sfValue, bool) {
	p.i++
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		if c == ':' {
			return sfValue{kind: sfBytes}, true
		}
		if !(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=') {
			return sfValue{}, false
		}
	}
	return sfValue{}, false
}

// boolean parses "?0" or "?1" (RFC 8941 §4.2.8).
func (p *sfParser) boolean() (sfValue, bool) {
	if p.i+1 >= len(p.s) || (p.s[p.i+1] != '0' && p.s[p.i+1] != '1') {
		return sfValue{}, false
	}
	v := sfValue{kind: sfBoolean, boolean: p.s[p.i+1] == '1'}
	p.i += 2
	return v, true
}

// displayString parses %"..." with lower-case %xx escapes of valid UTF-8 (RFC 9651 §4.2.10).
func (p *sfParser) displayString() (sfValue, bool) {
	if p.i+1 >= len(p.s) || p.s[p.i+1] != '"' {
		return sfValue{}, false
	}
	p.i += 2
	var buf []byte
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return sfValue{kind: sfDisplayString, str: string(buf)}, utf8.Valid(buf)
		case c == '%':
			if p.i+2 >= len(p.s) {
				return sfValue{}, false
			}
			hi, ok1 := lowerHex(p.s[p.i+1])
			lo, ok2 := lowerHex(p.s[p.i+2])
			if !ok1 || !ok2 {
				return sfValue{}, false
			}
			buf = append(buf, hi<<4|lo)
			p.i += 3
			continue
		case c < 0x20 || c > 0x7E:
			return sfValue{}, false
		}
		buf = append(buf, c)
		p.i++
	}
	return sfValue{}, false
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case isDigit(c):
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return isLower(c) || ('A' <= c && c <= 'Z') }
