package ui

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// onCard downloads the result card of the current image.
func (d *Demo) onCard(ctx app.Context, e app.Event) {
	if d.cur == nil || d.sess == nil {
		return
	}
	b, err := ResultCard(d.cur, d.sess.Meta, d.threshold)
	if err != nil {
		d.err = "cannot draw the result card: " + err.Error()
		return
	}
	download("ganomaly-result.png", "image/png", b)
}
