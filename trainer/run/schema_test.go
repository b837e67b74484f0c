package run

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/runfolder"
)

// jsonFields lists every JSON field path of a type, with its Go kind.
func jsonFields(t reflect.Type, prefix string, out *[]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() == "github.com/ganomaly-go/ganomaly/modelfile" {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		path := prefix + "." + name
		*out = append(*out, path+" "+f.Type.Kind().String())
		jsonFields(f.Type, path, out)
	}
}

// TestMetricsSchemaMatchesGanomalyTrain keeps the metrics.json written here
// and the one `ganomaly train` writes (package runfolder) field for field
// the same, so that tools reading one read the other.
func TestMetricsSchemaMatchesGanomalyTrain(t *testing.T) {
	var ours, theirs []string
	jsonFields(reflect.TypeOf(MetricsFile{}), "", &ours)
	jsonFields(reflect.TypeOf(runfolder.Metrics{}), "", &theirs)
	sort.Strings(ours)
	sort.Strings(theirs)
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("metrics.json fields differ:\ntrainer/run:\n%s\nrunfolder:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
}
