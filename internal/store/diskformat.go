package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// On-disk object format, version 1. One file per object:
//
//	offset  size  field
//	0       6     magic "PHAROS"
//	6       2     format version (1)
//	8       4     key length
//	12      4     meta length
//	16      8     body length
//	24      4     CRC-32C of the body
//	28      4     CRC-32C of bytes 0..27, the key and the meta
//	32      …     key, meta, body
//
// The header is written last (the file is built under a temporary name and
// renamed into place), so a file under its final name has a header; the
// lengths catch a truncated file and the checksums a torn write or a
// flipped byte. A new version adds a case to decodeHeader and keeps reading
// the old one.
const (
	diskMagic      = "PHAROS"
	diskVersion    = 1
	diskHeaderSize = 32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt means a cache file failed its checks; it has been dropped.
var ErrCorrupt = errors.New("store: corrupt cache file")

type diskHeader struct {
	keyLen, metaLen uint32
	bodyLen         uint64
	bodyCRC         uint32
	headCRC         uint32
}

func (h diskHeader) bodyOffset() int64 { return diskHeaderSize + int64(h.keyLen) + int64(h.metaLen) }
func (h diskHeader) fileSize() int64   { return h.bodyOffset() + int64(h.bodyLen) }

// encode returns the header bytes, computing headCRC over them and key+meta.
func (h *diskHeader) encode(key, meta []byte) []byte {
	b := make([]byte, diskHeaderSize)
	copy(b, diskMagic)
	binary.LittleEndian.PutUint16(b[6:], diskVersion)
	binary.LittleEndian.PutUint32(b[8:], h.keyLen)
	binary.LittleEndian.PutUint32(b[12:], h.metaLen)
	binary.LittleEndian.PutUint64(b[16:], h.bodyLen)
	binary.LittleEndian.PutUint32(b[24:], h.bodyCRC)
	c := crc32.Update(0, castagnoli, b[:28])
	c = crc32.Update(c, castagnoli, key)
	c = crc32.Update(c, castagnoli, meta)
	h.headCRC = c
	binary.LittleEndian.PutUint32(b[28:], c)
	return b
}

// decodeHeader parses and checks a header's fixed part; verifyHead checks
// its checksum once the key and meta have been read.
func decodeHeader(b []byte) (diskHeader, error) {
	var h diskHeader
	if len(b) < diskHeaderSize || string(b[:6]) != diskMagic {
		return h, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	switch v := binary.LittleEndian.Uint16(b[6:]); v {
	case 1:
	default:
		return h, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, v)
	}
	h.keyLen = binary.LittleEndian.Uint32(b[8:])
	h.metaLen = binary.LittleEndian.Uint32(b[12:])
	h.bodyLen = binary.LittleEndian.Uint64(b[16:])
	h.bodyCRC = binary.LittleEndian.Uint32(b[24:])
	h.headCRC = binary.LittleEndian.Uint32(b[28:])
	if h.keyLen > 64<<10 || h.metaLen > 16<<20 {
		return h, fmt.Errorf("%w: implausible lengths", ErrCorrupt)
	}
	return h, nil
}

func verifyHead(b []byte, h diskHeader, key, meta []byte) error {
	c := crc32.Update(0, castagnoli, b[:28])
	c = crc32.Update(c, castagnoli, key)
	c = crc32.Update(c, castagnoli, meta)
	if c != h.headCRC {
		return fmt.Errorf("%w: header checksum mismatch", ErrCorrupt)
	}
	return nil
}
