package preprocess

import "encoding/binary"

// exifOrientation returns the EXIF orientation (1..8) of a JPEG, PNG or
// WebP file, or 0 when it has none or it cannot be read; other formats give
// 0. The three formats carry the same TIFF-structured EXIF block, in their
// own container (JPEG APP1, PNG eXIf, WebP EXIF), and Pillow's
// ImageOps.exif_transpose honours it in all three.
func exifOrientation(format string, b []byte) int {
	switch format {
	case "jpeg":
		return jpegOrientation(b)
	case "png":
		return pngOrientation(b)
	case "webp":
		return webpOrientation(b)
	}
	return 0
}

// jpegOrientation returns the EXIF orientation (1..8) of a JPEG file, or 0
// when there is none or it cannot be read. It walks the marker segments up
// to the first scan, looks for an APP1 "Exif" segment and reads tag 0x0112
// from IFD0, checking every offset against the segment's length. A broken or
// hostile EXIF block is ignored (orientation 0), never an error: the pixels
// are still fine.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 0
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // no length
			i += 2
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 0
}

// tiffOrientation reads the Orientation tag of IFD0 in a TIFF-structured
// EXIF block.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	count := int64(bo.Uint16(t[off:]))
	entries := off + 2
	if entries+12*count > int64(len(t)) {
		return 0
	}
	for k := int64(0); k < count; k++ {
		e := t[entries+12*k:]
		if bo.Uint16(e) != 0x0112 {
			continue
		}
		// Type SHORT (3), one value, stored in the first two bytes of the
		// value field.
		if bo.Uint16(e[2:]) != 3 || bo.Uint32(e[4:]) != 1 {
			return 0
		}
		if v := int(bo.Uint16(e[8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// pngOrientation reads the orientation from a PNG's eXIf chunk, walking the
// chunk headers (length, type) up to IEND without reading pixel data.
func pngOrientation(b []byte) int {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(b) < len(sig) || string(b[:len(sig)]) != sig {
		return 0
	}
	for i := int64(len(sig)); i+8 <= int64(len(b)); {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		end := i + 8 + n + 4 // data, then the CRC
		if n > 1<<31-1 || end > int64(len(b)) || typ == "IEND" {
			return 0
		}
		if typ == "eXIf" { // the TIFF structure itself (an "Exif\0\0" header before it is not valid, and Pillow refuses it too)
			return tiffOrientation(b[i+8 : i+8+n])
		}
		i = end
	}
	return 0
}

// webpOrientation reads the orientation from the EXIF chunk of an extended
// WebP file (RIFF "WEBP", chunks padded to an even size).
func webpOrientation(b []byte) int {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0
	}
	for i := int64(12); i+8 <= int64(len(b)); {
		fourCC := string(b[i : i+4])
		n := int64(binary.LittleEndian.Uint32(b[i+4:]))
		if i+8+n > int64(len(b)) {
			return 0
		}
		if fourCC == "EXIF" {
			return tiffOrientation(exifBody(b[i+8 : i+8+n]))
		}
		i += 8 + n + n&1
	}
	return 0
}

// exifBody drops the "Exif\0\0" header that some writers put before the
// TIFF structure of a WebP EXIF chunk (Pillow accepts both forms).
func exifBody(e []byte) []byte {
	if len(e) >= 6 && string(e[:6]) == "Exif\x00\x00" {
		return e[6:]
	}
	return e
}
