package edge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pharos-cdn/pharos/internal/httpcache"
)

// metaCodec stores a response's metadata in the disk tier's files. The
// document carries its own version so the format can change field by field
// (Pingora's meta.rs does the same) without dropping a cache.
type metaCodec struct{}

const metaVersion = 1

type metaDoc struct {
	V            int                `json:"v"`
	Status       int                `json:"status"`
	Header       http.Header        `json:"header"`
	RequestTime  time.Time          `json:"requestTime"`
	ResponseTime time.Time          `json:"responseTime"`
	InitialAge   time.Duration      `json:"initialAge"`
	Decision     httpcache.Decision `json:"decision"`
	VaryFields   []string           `json:"varyFields,omitempty"`
	VaryKey      string             `json:"varyKey,omitempty"`
	Marker       bool               `json:"marker,omitempty"`
	Sliced       bool               `json:"sliced,omitempty"`
	SliceSize    int64              `json:"sliceSize,omitempty"`
	TotalSize    int64              `json:"totalSize,omitempty"`
	Generation   string             `json:"generation,omitempty"`
}

func (metaCodec) EncodeMeta(m any) ([]byte, error) {
	mm, ok := m.(*meta)
	if !ok {
		return nil, fmt.Errorf("edge: cannot encode %T", m)
	}
	d := metaDoc{
		V: metaVersion, Status: int(mm.status), Header: mm.header(), RequestTime: mm.requestTime(),
		ResponseTime: mm.responseTime(), InitialAge: mm.initialAge.duration(), Decision: mm.decision(),
		VaryFields: mm.varyFields(), VaryKey: mm.varyKey(), Marker: mm.marker,
	}
	if ss := mm.sliceSet(); ss != nil {
		d.Sliced, d.SliceSize, d.TotalSize, d.Generation = true, ss.sliceSize, ss.totalSize, ss.generation
	}
	return json.Marshal(d)
}

func (metaCodec) DecodeMeta(b []byte) (any, int, error) {
	var d metaDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, 0, err
	}
	if d.V != metaVersion {
		return nil, 0, fmt.Errorf("metadata version %d is not supported", d.V)
	}
	if d.Header == nil {
		d.Header = http.Header{}
	}
	m := newOwned(encodeFields(d.Status, d.Header))
	m.status, m.responseAt, m.initialAge, m.marker = int16(d.Status), toClock(d.ResponseTime), toAge32(d.InitialAge), d.Marker
	m.softPurged.setDelay(d.RequestTime, d.ResponseTime)
	m.setDecision(d.Decision)
	if varies := d.VaryFields != nil || d.VaryKey != ""; varies || d.Sliced {
		mm := &metaMore{varies: varies, sliced: d.Sliced}
		if varies {
			mm.vary = variance{fields: d.VaryFields, key: d.VaryKey}
		}
		if d.Sliced {
			mm.slices = sliceSet{sliceSize: d.SliceSize, totalSize: d.TotalSize, generation: d.Generation}
		}
		m.more = mm
	}
	return m, m.size(), nil
}
