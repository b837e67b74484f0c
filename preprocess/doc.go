// Package preprocess turns an image file into the CHW float32 tensor a
// GANomaly model reads, with the same rules in the command line, the exporter
// and the browser (docs/preprocess.md is the user-facing description).
//
//  1. Decode PNG, JPEG, GIF, BMP, TIFF or WebP after reading the header only
//     and refusing files above [MaxFileBytes], images above [MaxPixels] or
//     with a side above [MaxDimension] ([LimitError]). GIFs give their
//     first frame on the GIF's logical screen (transparent where the frame
//     does not cover it). EXIF orientation (1..8) of JPEG, PNG (eXIf) and
//     WebP files is applied, as Pillow's exif_transpose does.
//  2. Convert every pixel to 16-bit-per-channel precision through Go's
//     color model (16-bit files keep their full precision, palettes are
//     expanded, CMYK JPEGs go through Go's CMYK→RGB conversion) and composite
//     any alpha over white: c = c_premultiplied + (1 − α).
//  3. Grey models (nc 1) take ITU-R BT.601 luma
//     Y = 0.299 R + 0.587 G + 0.114 B (exactly R when R = G = B); colour
//     models (nc 3) take R, G, B, grey images replicated.
//  4. Resize so that the shorter side becomes isize and centre-crop to
//     isize×isize: torchvision's Resize(isize) + CenterCrop(isize) with
//     Pillow's bilinear filter (a triangle filter, widened by the scale factor
//     when shrinking, i.e. antialiased), computed in float64 without the
//     8-bit rounding Pillow does between and after its two passes.
//  5. Normalise x = (p − mean[c]) / std[c] with p in [0, 1].
//
// Every step is plain float64 arithmetic with a fixed order and explicit
// rounding of products (so no fused multiply-add can differ between
// platforms): the output is bit-identical natively and under GOOS=js
// GOARCH=wasm.
//
// The package also holds the folder rules every program follows ([ListDir],
// [Classify], [LabelOf]): which files of a folder are images (by extension
// or content), what is skipped and why, and the 0.normal/1.abnormal labels.
package preprocess
