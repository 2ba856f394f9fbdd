package signedurl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Policy is a CloudFront policy statement: the one statement a signed URL
// or cookie carries.
type Policy struct {
	// Resource is the URL pattern the policy grants ("" grants every URL
	// of every distribution that trusts the key, as CloudFront does).
	Resource string
	// DateLessThan is the Unix second the policy expires at (required).
	DateLessThan int64
	// DateGreaterThan, when set, is the Unix second it starts after.
	DateGreaterThan int64
	HasStart        bool
	// SourceIP, when valid, is the IPv4 prefix requests must come from.
	SourceIP netip.Prefix
}

// MaxCannedExpires is the largest Expires a canned policy may carry: a
// 32-bit signed Unix time (CLOUDFRONT.md §3.2).
const MaxCannedExpires = 1<<31 - 1

// CannedPolicy returns the exact bytes a canned policy signs: CloudFront's
// canonical JSON, with no whitespace and the resource JSON-escaped as the
// AWS SDK for Go escapes it (HTML characters such as '&' stay literal).
func CannedPolicy(resource string, expires int64) []byte {
	b := make([]byte, 0, len(resource)+96)
	b = append(b, `{"Statement":[{"Resource":`...)
	b = appendJSONString(b, resource)
	b = append(b, `,"Condition":{"DateLessThan":{"AWS:EpochTime":`...)
	b = strconv.AppendInt(b, expires, 10)
	return append(b, `}}}]}`...)
}

// MarshalPolicy returns p as a custom policy in the key order the AWS SDK
// for Go writes: Resource, then IpAddress, DateGreaterThan, DateLessThan.
func MarshalPolicy(p Policy) []byte {
	b := []byte(`{"Statement":[{`)
	if p.Resource != "" {
		b = append(b, `"Resource":`...)
		b = appendJSONString(b, p.Resource)
		b = append(b, ',')
	}
	b = append(b, `"Condition":{`...)
	if p.SourceIP.IsValid() {
		b = append(b, `"IpAddress":{"AWS:SourceIp":`...)
		b = appendJSONString(b, p.SourceIP.String())
		b = append(b, `},`...)
	}
	if p.HasStart {
		b = append(b, `"DateGreaterThan":{"AWS:EpochTime":`...)
		b = strconv.AppendInt(b, p.DateGreaterThan, 10)
		b = append(b, `},`...)
	}
	b = append(b, `"DateLessThan":{"AWS:EpochTime":`...)
	b = strconv.AppendInt(b, p.DateLessThan, 10)
	return append(b, `}}}]}`...)
}

func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

var errPolicy = errors.New("malformed policy")

// ParsePolicy reads a custom policy's JSON. Key order and whitespace are
// free (the signers differ: the Go SDK writes IpAddress first, botocore
// DateLessThan first); key names are exact; there is exactly one statement
// (as an array of one, or as the statement object itself); DateLessThan is
// required; times are unquoted integers; the source address is an IPv4
// address or prefix (CloudFront does not support IPv6 there).
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	var top map[string]json.RawMessage
	if err := strictUnmarshal(b, &top); err != nil {
		return p, fmt.Errorf("%w: %v", errPolicy, err)
	}
	if err := onlyKeys(top, "Statement"); err != nil {
		return p, err
	}
	raw, ok := top["Statement"]
	if !ok {
		return p, fmt.Errorf("%w: no Statement", errPolicy)
	}
	var stmt map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '[' {
		var list []map[string]json.RawMessage
		if err := strictUnmarshal(raw, &list); err != nil {
			return p, fmt.Errorf("%w: Statement: %v", errPolicy, err)
		}
		if len(list) != 1 {
			return p, fmt.Errorf("%w: %d statements, want 1", errPolicy, len(list))
		}
		stmt = list[0]
	} else if err := strictUnmarshal(raw, &stmt); err != nil {
		return p, fmt.Errorf("%w: Statement: %v", errPolicy, err)
	}
	if err := onlyKeys(stmt, "Resource", "Condition"); err != nil {
		return p, err
	}
	if r, ok := stmt["Resource"]; ok {
		if err := strictUnmarshal(r, &p.Resource); err != nil {
			return p, fmt.Errorf("%w: Resource: %v", errPolicy, err)
		}
		if p.Resource == "" {
			return p, fmt.Errorf("%w: empty Resource", errPolicy)
		}
	}
	var cond map[string]json.RawMessage
	if err := strictUnmarshal(stmt["Condition"], &cond); err != nil || cond == nil {
		return p, fmt.Errorf("%w: Condition: missing or not an object", errPolicy)
	}
	if err := onlyKeys(cond, "DateLessThan", "DateGreaterThan", "IpAddress"); err != nil {
		return p, err
	}
	dlt, ok := cond["DateLessThan"]
	if !ok {
		return p, fmt.Errorf("%w: no DateLessThan", errPolicy)
	}
	var err error
	if p.DateLessThan, err = epochTime(dlt); err != nil {
		return p, fmt.Errorf("%w: DateLessThan: %v", errPolicy, err)
	}
	if dgt, ok := cond["DateGreaterThan"]; ok {
		if p.DateGreaterThan, err = epochTime(dgt); err != nil {
			return p, fmt.Errorf("%w: DateGreaterThan: %v", errPolicy, err)
		}
		p.HasStart = true
	}
	if ip, ok := cond["IpAddress"]; ok {
		if p.SourceIP, err = sourceIP(ip); err != nil {
			return p, fmt.Errorf("%w: IpAddress: %v", errPolicy, err)
		}
	}
	return p, nil
}

func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

func onlyKeys(m map[string]json.RawMessage, allowed ...string) error {
	for k := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return fmt.Errorf("%w: unknown field %q", errPolicy, k)
		}
	}
	return nil
}

// epochTime reads {"AWS:EpochTime":N} with N a non-negative integer.
func epochTime(raw json.RawMessage) (int64, error) {
	var m map[string]json.RawMessage
	if err := strictUnmarshal(raw, &m); err != nil || m == nil {
		return 0, errors.New("want {\"AWS:EpochTime\":N}")
	}
	if err := onlyKeys(m, "AWS:EpochTime"); err != nil {
		return 0, err
	}
	v, ok := m["AWS:EpochTime"]
	if !ok {
		return 0, errors.New("no AWS:EpochTime")
	}
	return parseEpoch(string(bytes.TrimSpace(v)))
}

// parseEpoch takes decimal digits only: no sign, quotes, fraction or
// exponent.
func parseEpoch(s string) (int64, error) {
	if s == "" || len(s) > 18 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a Unix time in seconds", s)
	}
	return strconv.ParseInt(s, 10, 64)
}

// sourceIP reads {"AWS:SourceIp":"a.b.c.d/n"}; a bare address means /32.
func sourceIP(raw json.RawMessage) (netip.Prefix, error) {
	var m map[string]json.RawMessage
	if err := strictUnmarshal(raw, &m); err != nil || m == nil {
		return netip.Prefix{}, errors.New("want {\"AWS:SourceIp\":\"a.b.c.d/n\"}")
	}
	if err := onlyKeys(m, "AWS:SourceIp"); err != nil {
		return netip.Prefix{}, err
	}
	var s string
	if err := strictUnmarshal(m["AWS:SourceIp"], &s); err != nil {
		return netip.Prefix{}, errors.New("AWS:SourceIp is not a string")
	}
	var pfx netip.Prefix
	var err error
	if strings.Contains(s, "/") {
		pfx, err = netip.ParsePrefix(s)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(s); err == nil {
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil {
		return netip.Prefix{}, err
	}
	if !pfx.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%s: only IPv4 is supported", s)
	}
	return pfx.Masked(), nil
}
