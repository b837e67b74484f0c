package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The folder rules shared by the command line, the exporter, the trainer and
// the page: which files a folder scan takes as images, which it skips and
// why, and which label a path carries.

// Label folder names of the original code's custom-dataset layout: an image
// below a folder named NormalDir is normal, below AbnormalDir anomalous.
const (
	NormalDir   = "0.normal"
	AbnormalDir = "1.abnormal"
)

// Labels returned by [LabelOf].
const (
	Normal    = "normal"
	Anomalous = "anomalous"
)

// ImageExts are the file-name extensions (lower case) of the formats Decode
// reads. A folder scan takes a file with one of them as an image whatever
// its content (a broken one then fails to decode with a clear error);
// a file with another or no extension is taken when its content is one.
var ImageExts = []string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// SniffLen is how many leading bytes [Classify] reads to recognise an image
// by its content.
const SniffLen = 1024

// Image is one image found by a folder scan.
type Image struct {
	Path  string
	Label string // Normal, Anomalous or "" (see LabelOf)
}

// Skipped is a file or folder a scan left out, and why.
type Skipped struct {
	Path   string
	Reason string
}

func (s Skipped) String() string { return s.Path + ": " + s.Reason }

// Listing is the outcome of a folder scan.
type Listing struct {
	Images  []Image   // in lexical path order
	Skipped []Skipped // not images (by name and content), hidden entries
	// Unreadable are folders the scan could not read: their images are
	// missing, which a caller must not pass over in silence.
	Unreadable []Skipped
}

// Paths returns the images' paths.
func (l *Listing) Paths() []string {
	p := make([]string, len(l.Images))
	for i, im := range l.Images {
		p[i] = im.Path
	}
	return p
}

// ListDir scans dir recursively, in lexical order, and sorts every entry
// into images and skipped files by [Classify]. Hidden folders (a name
// starting with ".") are skipped whole. Symbolic links to folders are not
// followed. The error is set only when dir itself cannot be read or is not
// a folder; a folder without images gives an empty Images list.
func ListDir(dir string) (*Listing, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	l := &Listing{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			l.Unreadable = append(l.Unreadable, Skipped{p, "cannot be read: " + pathErrText(err)})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if isHidden(d.Name()) {
				l.Skipped = append(l.Skipped, Skipped{p, "hidden folder"})
				return filepath.SkipDir
			}
			return nil
		}
		ok, why := Classify(rel, func() ([]byte, error) { return readHead(p) })
		if ok {
			l.Images = append(l.Images, Image{Path: p, Label: LabelOf(p)})
		} else {
			l.Skipped = append(l.Skipped, Skipped{p, why})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Classify decides whether a file met in a folder scan is an image, and
// otherwise says why it is left out. rel is the file's path inside the
// scanned folder ("/" or the OS separator), head returns its first SniffLen
// bytes (or fewer, for a short file) and is called only when the name does
// not decide. The rules, in order:
//
//   - a file or folder whose name starts with "." is hidden: skipped;
//   - an image extension ([ImageExts], any case): taken;
//   - content that is a PNG, JPEG, GIF, BMP, TIFF or WebP image (a missing
//     or wrong extension): taken;
//   - anything else: skipped, with what it seems to be (SVG and HEIC/AVIF
//     images, empty files, unreadable files, other content).
func Classify(rel string, head func() ([]byte, error)) (bool, string) {
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if part != "." && part != ".." && isHidden(part) {
			return false, "hidden file"
		}
	}
	if IsImageName(rel) {
		return true, ""
	}
	b, err := head()
	if err != nil {
		return false, "cannot be read: " + pathErrText(err)
	}
	if f := Sniff(b); f != "" {
		return true, ""
	}
	ext := strings.ToLower(path.Ext(filepath.ToSlash(rel)))
	switch {
	case len(b) == 0:
		return false, "empty file"
	case ext == ".svg" || isSVG(b):
		return false, "an SVG (vector) image: not supported; convert it to PNG"
	case isHEIF(b) || ext == ".heic" || ext == ".heif" || ext == ".avif":
		return false, "a HEIC/AVIF image: not supported; convert it to JPEG or PNG"
	}
	return false, "not an image: neither its name nor its content is PNG, JPEG, GIF, BMP, TIFF or WebP"
}

// IsImageName reports whether name has one of [ImageExts] (any case).
func IsImageName(name string) bool {
	ext := strings.ToLower(path.Ext(filepath.ToSlash(name)))
	for _, e := range ImageExts {
		if ext == e {
			return true
		}
	}
	return false
}

// Sniff returns the format of an image from its first bytes, as
// image.DecodeConfig names it ("png", "jpeg", ...; see [Formats]), or ""
// when the bytes start no format Decode reads.
func Sniff(head []byte) string {
	if isTIFF(head) {
		return "tiff" // see DecodeBytes: never hand TIFF to image.DecodeConfig
	}
	_, format, err := image.DecodeConfig(bytes.NewReader(head))
	if errors.Is(err, image.ErrFormat) {
		return ""
	}
	return format
}

// LabelOf returns the label a path carries: Normal below a folder named
// NormalDir, Anomalous below AbnormalDir, the nearest such folder winning,
// "" otherwise. Both "/" and the OS separator are understood.
func LabelOf(p string) string {
	parts := strings.Split(strings.ReplaceAll(filepath.ToSlash(p), `\`, "/"), "/")
	for i := len(parts) - 2; i >= 0; i-- {
		switch parts[i] {
		case NormalDir:
			return Normal
		case AbnormalDir:
			return Anomalous
		}
	}
	return ""
}

// NoImagesText describes what a folder without images lacked, for messages.
func NoImagesText() string {
	return "no file is a PNG, JPEG, GIF, BMP, TIFF or WebP image by extension or content"
}

func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

func isSVG(b []byte) bool {
	s := bytes.ToLower(b)
	return bytes.Contains(s, []byte("<svg"))
}

// isHEIF reports an ISO base-media file whose brand is a HEIF image.
func isHEIF(b []byte) bool {
	if len(b) < 12 || string(b[4:8]) != "ftyp" {
		return false
	}
	switch string(b[8:12]) {
	case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis":
		return true
	}
	return false
}

func readHead(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, SniffLen)
	n, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:n], nil
}

// pathErrText is an error without the path it names (the caller shows the
// path once).
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
