package ui

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Canvas is the drawing area of the single-image view: draw a digit with
// the mouse, a pen or a finger; lifting the pen scores the drawing. A
// component with its own state (the stroke in progress); it hands the
// drawing, as PNG bytes, to canvasHost. Shown for grey models only.
type Canvas struct {
	app.Compo

	host canvasHost
	ctx  app.Context // the component's own context, for the pen's listeners

	live     bool // mounted in the browser: inert on the pre-rendered page
	drawn    bool // the canvas has been cleared to black
	drawing  bool
	lastX    float64
	lastY    float64
	unlisten func()
}

// canvasHost takes the drawing.
type canvasHost interface {
	// show scores an image and shows it, or says why it could not be read.
	show(name string, b []byte, err error)
}

// canvasID is the canvas element's id (the browser tests draw on it).
const canvasID = "draw-canvas"

func newCanvas(h canvasHost) *Canvas { return &Canvas{host: h} }

// OnMount attaches the pen's listeners. A canvas element mounted anew is
// blank: it is cleared to black on the first stroke.
func (c *Canvas) OnMount(ctx app.Context) {
	c.ctx, c.live, c.drawn, c.drawing = ctx, true, false, false
	c.unlisten = c.listen()
}

// OnDismount removes the listeners.
func (c *Canvas) OnDismount() {
	if c.unlisten != nil {
		c.unlisten()
		c.unlisten = nil
	}
	c.drawing = false
}

// Render draws the canvas and its buttons.
func (c *Canvas) Render() app.UI {
	div := app.Div().Class("draw")
	if !c.live {
		// Nothing would answer the pen yet.
		div = div.Attr("inert", "").Title("drawing starts once the engine has loaded")
	}
	return div.Body(
		app.Canvas().ID(canvasID).Width(280).Height(280).
			Aria("label", "drawing area: draw a digit with the mouse or a finger"),
		app.Div().Class("draw-buttons").Body(
			app.Button().Text("Clear").OnClick(c.onClear),
			app.Button().Text("Score drawing").OnClick(c.onScore),
		),
		app.P().Class("muted").Text("Draw a digit; it is scored when you lift the pen."),
	)
}

// listen attaches the pen's handlers to the document: plain JavaScript
// listeners (not go-app element handlers, which would redraw the component
// on every pointer move and are re-bound when the tree changes). Strokes are
// drawn directly; lifting the pen scores the drawing on the UI goroutine.
// Pointer events cover mouse, pen and touch.
func (c *Canvas) listen() func() {
	doc := app.Window().Get("document")
	isCanvas := func(e app.Value) bool {
		t := e.Get("target")
		return t.Truthy() && t.Get("id").String() == canvasID
	}
	down := app.FuncOf(func(this app.Value, args []app.Value) any {
		e := app.Event{Value: args[0]}
		if !isCanvas(e) {
			return nil
		}
		el := e.Get("target")
		if !c.drawn {
			c.clear(el)
		}
		e.PreventDefault()
		el.Call("setPointerCapture", e.Get("pointerId"))
		c.drawing = true
		c.lastX, c.lastY = canvasPoint(el, e)
		c.stroke(el, c.lastX, c.lastY)
		return nil
	})
	move := app.FuncOf(func(this app.Value, args []app.Value) any {
		e := app.Event{Value: args[0]}
		if !c.drawing || !isCanvas(e) {
			return nil
		}
		el := e.Get("target")
		x, y := canvasPoint(el, e)
		c.stroke(el, x, y)
		c.lastX, c.lastY = x, y
		return nil
	})
	up := app.FuncOf(func(this app.Value, args []app.Value) any {
		if !c.drawing {
			return nil
		}
		c.drawing = false
		c.ctx.Dispatch(func(ctx app.Context) {
			if el := app.Window().GetElementByID(canvasID); el.Truthy() {
				c.score(el)
			}
		})
		return nil
	})
	doc.Call("addEventListener", "pointerdown", down)
	doc.Call("addEventListener", "pointermove", move)
	doc.Call("addEventListener", "pointerup", up)
	doc.Call("addEventListener", "pointercancel", up)
	return func() {
		doc.Call("removeEventListener", "pointerdown", down)
		doc.Call("removeEventListener", "pointermove", move)
		doc.Call("removeEventListener", "pointerup", up)
		doc.Call("removeEventListener", "pointercancel", up)
		down.Release()
		move.Release()
		up.Release()
	}
}

// canvasPoint is the event's position in the canvas's own pixels (the
// canvas is scaled by CSS).
func canvasPoint(el app.Value, e app.Event) (float64, float64) {
	r := el.Call("getBoundingClientRect")
	sx := el.Get("width").Float() / r.Get("width").Float()
	sy := el.Get("height").Float() / r.Get("height").Float()
	return (e.Get("clientX").Float() - r.Get("left").Float()) * sx, (e.Get("clientY").Float() - r.Get("top").Float()) * sy
}

func (c *Canvas) clear(el app.Value) {
	g := el.Call("getContext", "2d")
	g.Set("fillStyle", "#000")
	g.Call("fillRect", 0, 0, el.Get("width").Int(), el.Get("height").Int())
	c.drawn = true
}

func (c *Canvas) stroke(el app.Value, x, y float64) {
	g := el.Call("getContext", "2d")
	g.Set("strokeStyle", "#fff")
	g.Set("lineWidth", el.Get("width").Float()/12)
	g.Set("lineCap", "round")
	g.Set("lineJoin", "round")
	g.Call("beginPath")
	g.Call("moveTo", c.lastX, c.lastY)
	g.Call("lineTo", x+0.01, y+0.01)
	g.Call("stroke")
}

// score hands the drawing to the host as a PNG file.
func (c *Canvas) score(el app.Value) {
	url := el.Call("toDataURL", "image/png").String()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, pngPrefix))
	if err != nil {
		err = fmt.Errorf("cannot read the drawing: %w", err)
	}
	c.host.show("drawing.png", b, err)
}

func (c *Canvas) onClear(ctx app.Context, e app.Event) {
	if el := app.Window().GetElementByID(canvasID); el.Truthy() {
		c.clear(el)
	}
}

// onScore lets keyboard users score the (empty or drawn) canvas.
func (c *Canvas) onScore(ctx app.Context, e app.Event) {
	el := app.Window().GetElementByID(canvasID)
	if !el.Truthy() {
		return
	}
	if !c.drawn {
		c.clear(el)
	}
	c.score(el)
}
