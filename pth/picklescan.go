package pth

import (
	"encoding/binary"
	"fmt"
)

// pickleArg is how a pickle opcode's argument is laid out in the stream.
type pickleArg int

const (
	argNone     pickleArg = iota
	argFixed              // n bytes (n in the table)
	argLine               // up to and including '\n'
	argTwoLines           // module '\n' name '\n' (GLOBAL, INST)
	argLen1               // 1-byte length, then that many bytes
	argLen4               // 4-byte little-endian length, then that many bytes
	argLen8               // 8-byte little-endian length, then that many bytes
)

type opInfo struct {
	arg pickleArg
	n   int // byte count for argFixed
}

// pickleOps describes every opcode of pickle protocols 0 to 5 (CPython's
// Lib/pickletools.py). FRAME (0x95) is listed with its 8-byte length only:
// the framed opcodes that follow are scanned like any others.
var pickleOps = map[byte]opInfo{
	'(': {}, '.': {}, '0': {}, '1': {}, '2': {}, 'N': {}, 'R': {}, 'b': {}, '}': {}, 'e': {},
	'l': {}, ']': {}, 'a': {}, 'd': {}, 's': {}, 't': {}, ')': {}, 'u': {}, 'Q': {}, 'o': {},
	0x88: {}, 0x89: {}, 0x85: {}, 0x86: {}, 0x87: {}, 0x81: {}, 0x92: {}, 0x8f: {}, 0x90: {},
	0x91: {}, 0x93: {}, 0x94: {}, 0x97: {}, 0x98: {},
	'K': {argFixed, 1}, 'h': {argFixed, 1}, 'q': {argFixed, 1}, 0x80: {argFixed, 1}, 0x82: {argFixed, 1},
	'M': {argFixed, 2}, 0x83: {argFixed, 2},
	'J': {argFixed, 4}, 'j': {argFixed, 4}, 'r': {argFixed, 4}, 0x84: {argFixed, 4},
	'G': {argFixed, 8}, 0x95: {argFixed, 8},
	'I': {arg: argLine}, 'L': {arg: argLine}, 'S': {arg: argLine}, 'V': {arg: argLine},
	'F': {arg: argLine}, 'P': {arg: argLine}, 'g': {arg: argLine}, 'p': {arg: argLine},
	'c': {arg: argTwoLines}, 'i': {arg: argTwoLines},
	'U': {arg: argLen1}, 'C': {arg: argLen1}, 0x8c: {arg: argLen1}, 0x8a: {arg: argLen1},
	'T': {arg: argLen4}, 'B': {arg: argLen4}, 'X': {arg: argLen4}, 0x8b: {arg: argLen4},
	0x8d: {arg: argLen8}, 0x8e: {arg: argLen8}, 0x96: {arg: argLen8},
}

// scanPickle walks the opcodes of the pickle that starts at b[0] and returns
// its length up to and including STOP. It checks that every length-prefixed
// argument fits in b, so that the unpickler, which allocates a declared
// length before reading it, can never be made to allocate more than the
// file holds. It rejects unknown opcodes and a missing STOP.
func scanPickle(b []byte) (int, error) {
	i := 0
	for i < len(b) {
		op := b[i]
		info, ok := pickleOps[op]
		if !ok {
			return 0, fmt.Errorf("unknown pickle opcode 0x%02x at byte %d (not a pickle, or a newer protocol than 5)", op, i)
		}
		i++
		rest := len(b) - i
		switch info.arg {
		case argFixed:
			if rest < info.n {
				return 0, fmt.Errorf("pickle opcode 0x%02x at byte %d: argument runs past the end of the data", op, i-1)
			}
			if op == 0x95 { // FRAME: the frame must fit as well
				n := binary.LittleEndian.Uint64(b[i:])
				if n > uint64(rest-8) {
					return 0, fmt.Errorf("pickle frame at byte %d declares %d bytes, only %d remain (truncated file?)", i-1, n, rest-8)
				}
			}
			i += info.n
		case argLine, argTwoLines:
			lines := 1
			if info.arg == argTwoLines {
				lines = 2
			}
			for ; lines > 0; lines-- {
				j := i
				for j < len(b) && b[j] != '\n' {
					j++
				}
				if j == len(b) {
					return 0, fmt.Errorf("pickle opcode 0x%02x at byte %d: unterminated text argument", op, i-1)
				}
				i = j + 1
			}
		case argLen1, argLen4, argLen8:
			w := map[pickleArg]int{argLen1: 1, argLen4: 4, argLen8: 8}[info.arg]
			if rest < w {
				return 0, fmt.Errorf("pickle opcode 0x%02x at byte %d: length runs past the end of the data", op, i-1)
			}
			var n uint64
			switch w {
			case 1:
				n = uint64(b[i])
			case 4:
				n = uint64(binary.LittleEndian.Uint32(b[i:]))
			case 8:
				n = binary.LittleEndian.Uint64(b[i:])
			}
			if n > uint64(rest-w) {
				return 0, fmt.Errorf("pickle opcode 0x%02x at byte %d declares %d bytes, only %d remain (truncated or corrupt file)", op, i-1, n, rest-w)
			}
			i += w + int(n)
		}
		if op == '.' {
			return i, nil
		}
	}
	return 0, fmt.Errorf("pickle ends after %d bytes without a STOP opcode (truncated file?)", len(b))
}
