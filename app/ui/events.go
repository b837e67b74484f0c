package ui

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func (d *Demo) onPaste(ctx app.Context, e app.Event) {
	files := e.Get("clipboardData").Get("files")
	if files.Truthy() && files.Length() > 0 {
		e.PreventDefault()
		d.takeFiles(ctx, files, false)
	}
}

func (d *Demo) onDragOver(ctx app.Context, e app.Event) {
	e.PreventDefault()
	ctx.PreventUpdate()
}

func (d *Demo) onDrop(ctx app.Context, e app.Event) {
	e.PreventDefault()
	dt := e.Get("dataTransfer")
	// A dropped folder shows up as a directory entry; entries must be taken
	// during the event, their contents can be read afterwards.
	var entries []app.Value
	hasDir := false
	if items := dt.Get("items"); items.Truthy() {
		for i := 0; i < items.Length(); i++ {
			it := items.Index(i)
			if it.Get("kind").String() != "file" || !it.Get("webkitGetAsEntry").Truthy() {
				continue
			}
			if en := it.Call("webkitGetAsEntry"); en.Truthy() {
				entries = append(entries, en)
				hasDir = hasDir || en.Get("isDirectory").Bool()
			}
		}
	}
	if !hasDir {
		if files := dt.Get("files"); files.Truthy() {
			if d.view == viewTrain { // files dropped on the Train view are training data
				d.takeTrainFileList(ctx, files)
				return
			}
			d.takeFiles(ctx, files, false)
		}
		return
	}
	ctx.Async(func() {
		var files []app.Value
		var names []string
		for _, en := range entries {
			if err := walkEntry(en, &files, &names); err != nil {
				d.dispatch(func(ctx app.Context) { d.err = "reading the dropped folder: " + err.Error() })
				return
			}
		}
		d.dispatch(func(ctx app.Context) {
			if d.view == viewTrain { // a folder dropped on the Train view is training data
				d.takeTrainFiles(ctx, files, names)
				return
			}
			d.takeFileList(ctx, files, names, true)
		})
	})
}

// walkEntry collects the files under a FileSystemEntry (a dropped file or
// folder) with their paths inside the drop, e.g. "test/0.normal/a.png". It
// runs on a goroutine (it awaits the entry API's callbacks).
func walkEntry(en app.Value, files *[]app.Value, names *[]string) error {
	w := app.Window()
	call := func(obj app.Value, method string, args ...any) (app.Value, error) {
		var exec app.Func
		exec = app.FuncOf(func(this app.Value, a []app.Value) any {
			obj.Call(method, append(args, a[0], a[1])...)
			return nil
		})
		defer exec.Release()
		return await(w.Get("Promise").New(exec))
	}
	if en.Get("isFile").Bool() {
		f, err := call(en, "file")
		if err != nil {
			return err
		}
		*files = append(*files, f)
		*names = append(*names, strings.TrimPrefix(en.Get("fullPath").String(), "/"))
		return nil
	}
	reader := en.Call("createReader")
	for {
		batch, err := call(reader, "readEntries")
		if err != nil {
			return err
		}
		if batch.Length() == 0 {
			return nil
		}
		for i := 0; i < batch.Length(); i++ {
			if err := walkEntry(batch.Index(i), files, names); err != nil {
				return err
			}
		}
	}
}

func (d *Demo) onFiles(ctx app.Context, e app.Event) {
	in := ctx.JSSrc()
	d.takeFiles(ctx, in.Get("files"), false)
	in.Set("value", "") // choosing the same file again fires change again
}

// onFolder takes every image of a chosen folder as a batch; subfolders named
// 0.normal and 1.abnormal label their images.
func (d *Demo) onFolder(ctx app.Context, e app.Event) {
	in := ctx.JSSrc()
	d.takeFiles(ctx, in.Get("files"), true)
	in.Set("value", "")
}

// onModelSelect loads a bundled model.
func (d *Demo) onModelSelect(ctx app.Context, e app.Event) {
	file := ctx.JSSrc().Get("value").String()
	if d.sess != nil && file == d.sess.Name {
		return
	}
	d.modelBusy = "loading " + file + "…"
	url := ctx.ResolveStaticResource("/web/models/" + file)
	ctx.Async(func() {
		b, err := fetchBytes(url)
		if err != nil {
			d.dispatch(func(ctx app.Context) { d.modelBusy, d.err = "", err.Error() })
			return
		}
		d.switchModel(ctx, file, b, true)
	})
}

// onModelFile loads a model the user opened.
func (d *Demo) onModelFile(ctx app.Context, e app.Event) {
	in := ctx.JSSrc()
	files := in.Get("files")
	if files.Length() == 0 {
		return
	}
	f := files.Index(0)
	name := f.Get("name").String()
	in.Set("value", "")
	d.modelBusy = "loading " + name + "…"
	ctx.Async(func() {
		b, err := readFile(f)
		if err != nil {
			d.dispatch(func(ctx app.Context) { d.modelBusy, d.err = "", err.Error() })
			return
		}
		d.switchModel(ctx, name, b, false)
	})
}

// switchModel runs on a goroutine: load, hand the model to the workers, then
// switch the page. A bad file leaves the current model in place. bundled
// says the model is one of the site's (its own gallery, if any, goes with it).
func (d *Demo) switchModel(ctx app.Context, name string, b []byte, bundled bool) {
	time.Sleep(20 * time.Millisecond) // let "loading…" paint
	s, err := LoadSession(name, b)
	if err != nil {
		d.dispatch(func(ctx app.Context) {
			d.modelBusy = ""
			d.err = err.Error() + " The previous model stays loaded."
		})
		return
	}
	s.Bundled = bundled
	if d.pool != nil {
		if err := d.pool.Load(b); err != nil {
			d.dispatch(func(ctx app.Context) { d.poolNote = "workers could not load the model: " + err.Error() })
			d.pool = nil
		}
	}
	d.dispatch(func(ctx app.Context) {
		d.modelBusy = ""
		d.err = ""
		d.setSession(s)
	})
}

func (d *Demo) onDismissError(ctx app.Context, e app.Event) { d.err = "" }

func (d *Demo) onView(v string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { d.view = v }
}

func (d *Demo) onLarge(ctx app.Context, e app.Event) { d.large = !d.large }
