package ui

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"log/slog"
	"slices"
	"strings"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// The gallery: the sample images of the site (web/gallery), which of them
// suit the current model, and how each is labelled for it. The page keeps
// the gallery (the single view, the batch view and the lab all use it).

// GalleryItem is one sample image (web/gallery/index.json, written by the
// site generator; see package app/gallery) with its bytes, fetched at start
// so that scoring needs no network.
type GalleryItem struct {
	File    string `json:"file"`
	Dataset string `json:"dataset"`
	Class   string `json:"class"`
	Model   string `json:"model"`  // the bundled model whose own sample this is; "" for the MNIST samples
	Label   string `json:"label"`  // "normal" or "anomalous" for a model's own sample
	Source  string `json:"source"` // the original file, relative to its gallery folder
	// Data is the file itself, base64, when the site generator wrote a small
	// gallery into the page (SiteData): then the page requests no image.
	Data string `json:"data,omitempty"`
	// Cell is 1 + the item's place in the page's sprite (SiteData.Sprite,
	// GallerySprite); 0 when it is shown from URL.
	Cell  int    `json:"cell,omitempty"`
	Bytes []byte `json:"-"`
	URL   string `json:"-"` // data URL of the original file
}

// earlyGallery returns the gallery images boot.js has fetched (nil for one
// that failed), or nil when it has not fetched n of them.
func earlyGallery(n int) [][]byte {
	e := app.Window().Get("ganomalyEarly")
	if n == 0 || !e.Truthy() || !e.Get("gallery").Truthy() {
		return nil
	}
	arr, err := await(e.Get("gallery"))
	if err != nil || arr.Length() != n {
		return nil
	}
	out := make([][]byte, n)
	for i := range out {
		if v := arr.Index(i); v.Truthy() {
			out[i] = jsBytes(v)
		}
	}
	return out
}

// loadGallery fetches the bytes of the gallery's images (items, or those
// listed in web/gallery/index.json when items is empty) and returns a new
// slice with Bytes and a data URL set, so that showing and scoring them needs
// no network once the page is ready.
func (d *Demo) loadGallery(ctx app.Context, items []GalleryItem) []GalleryItem {
	if inPage(items) {
		var out []GalleryItem
		for _, it := range items {
			b, err := base64.StdEncoding.DecodeString(it.Data)
			if err != nil {
				slog.Warn("gallery image", "file", it.File, "err", err)
				continue
			}
			it.Bytes, it.URL = b, pngPrefix+it.Data
			out = append(out, it)
		}
		return out
	}
	base := ctx.ResolveStaticResource("/web/gallery/")
	if len(items) == 0 {
		idx, err := fetchBytes(base + "index.json")
		if err != nil {
			slog.Warn("no gallery", "err", err)
			return nil
		}
		if err := json.Unmarshal(idx, &items); err != nil {
			slog.Warn("gallery index", "err", err)
			return nil
		}
	}
	if early := earlyGallery(len(items)); early != nil {
		var out []GalleryItem
		for i, it := range items {
			if early[i] == nil {
				slog.Warn("gallery image", "file", it.File, "err", "could not be fetched")
				continue
			}
			it.Bytes = early[i]
			it.URL = pngURL(it.Bytes)
			out = append(out, it)
		}
		return out
	}
	var out []GalleryItem
	for _, it := range items {
		b, err := fetchBytes(base + it.File)
		if err != nil {
			slog.Warn("gallery image", "err", err)
			continue
		}
		it.Bytes = b
		it.URL = pngURL(b)
		out = append(out, it)
	}
	return out
}

// galleryLabel is "normal", "abnormal" or "" for a gallery item under the
// current model.
func (d *Demo) galleryLabel(it GalleryItem) string {
	switch {
	case it.Label == "normal":
		return "normal"
	case it.Label == "anomalous":
		return "abnormal"
	case d.sess == nil:
		return ""
	}
	return ClassLabel(d.sess.Meta, it.Dataset, it.Class)
}

// GalleryCaption explains the sample images shown for a model: coloured by
// whether the model saw their class in training, or, when none of them comes
// from the model's own dataset (a model trained on a folder of your images),
// that they are only foreign examples.
func GalleryCaption(meta modelfile.Metadata, items []GalleryItem) string {
	if len(items) == 0 {
		return ""
	}
	if items[0].Model != "" {
		w := meta.Words()
		return "Sample images chosen for this model, labelled by their folders: green = normal (" + w.NormalName + "), red = anomalous (" + w.AbnormalName + ")."
	}
	var names []string
	for _, it := range items {
		if ClassLabel(meta, it.Dataset, it.Class) != "" {
			return "Sample images from the test set; green = a class the model was trained on, red = the class it never saw."
		}
		if n := strings.ToUpper(it.Dataset); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return "Sample images from " + strings.Join(names, " and ") + ", not from the images this model was trained on, so how it scores them says little: drop your own images to judge it."
}

// galleryFor lists the gallery items that suit the current model: a bundled
// model's own samples when it has some; otherwise the shared samples of the
// model's dataset, or, when it names none we have, all shared samples.
func (d *Demo) galleryFor() []GalleryItem {
	var ds, name string
	bundled := false
	switch {
	case d.sess != nil:
		if d.sess.Meta.Dataset != nil {
			ds = d.sess.Meta.Dataset.Name
		}
		name, bundled = d.sess.Name, d.sess.Bundled
	case len(d.models) > 0:
		def := defaultModel(d.models) // before the model is loaded
		ds, name, bundled = def.Dataset, def.File, true
	default:
		return nil
	}
	var own, same, shared []GalleryItem
	for _, it := range d.gallery {
		switch {
		case it.Model != "":
			if bundled && it.Model == name {
				own = append(own, it)
			}
		case strings.EqualFold(ds, it.Dataset):
			same = append(same, it)
		default:
			shared = append(shared, it)
		}
	}
	switch {
	case len(own) > 0:
		return own
	case len(same) > 0:
		return same
	}
	return shared
}

// sampleLabel is the data-label of a sample: "normal", "anomalous" or "".
func sampleLabel(lbl string) string {
	if lbl == "abnormal" {
		return "anomalous"
	}
	return lbl
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func labelShort(l string) string {
	switch l {
	case "normal":
		return "normal"
	case "abnormal":
		return "anomaly"
	}
	return ""
}

// inPage reports whether every item carries its file (Data): a gallery
// written into the page.
func inPage(items []GalleryItem) bool {
	for _, it := range items {
		if it.Data == "" {
			return false
		}
	}
	return len(items) > 0
}

// maxSpritePixels bounds the sprite: a few highly compressible large
// images fit in the page's gallery budget but would decode to hundreds of
// megabytes side by side.
const maxSpritePixels = 4 << 20

// GallerySprite draws the images of a gallery written into the page (every
// item's Data, from its Bytes) side by side in one PNG and sets each item's
// Cell. The page then loads and decodes one image for the whole gallery
// instead of one per sample before its first frame (docs/app.md). false,
// and no Cell set, when the items are not all in the page, not all PNGs of
// one size, or too many pixels together.
func GallerySprite(items []GalleryItem) ([]byte, bool) {
	if !inPage(items) {
		return nil, false
	}
	ims := make([]image.Image, len(items))
	gray := true
	for i, it := range items {
		cfg, err := png.DecodeConfig(bytes.NewReader(it.Bytes))
		if err != nil || cfg.Width*cfg.Height > maxSpritePixels/len(items) {
			return nil, false
		}
		im, err := png.Decode(bytes.NewReader(it.Bytes))
		if err != nil || i > 0 && im.Bounds().Size() != ims[0].Bounds().Size() {
			return nil, false
		}
		ims[i] = im
		_, g := im.(*image.Gray)
		gray = gray && g
	}
	sz := ims[0].Bounds().Size()
	r := image.Rect(0, 0, sz.X*len(ims), sz.Y)
	var dst draw.Image = image.NewNRGBA(r)
	if gray {
		dst = image.NewGray(r)
	}
	for i, im := range ims {
		draw.Draw(dst, image.Rect(i*sz.X, 0, (i+1)*sz.X, sz.Y), im, im.Bounds().Min, draw.Src)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst); err != nil {
		return nil, false
	}
	for i := range items {
		items[i].Cell = i + 1
	}
	return buf.Bytes(), true
}
