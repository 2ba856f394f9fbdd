package cfapi

import (
	"fmt"
	"reflect"
	"strings"
)

// checkUnknown walks a decoded request and refuses the first element the
// service model does not have (caught by the `xml:",any"` Unknown fields),
// naming where it was: encoding/xml would otherwise drop it silently.
func checkUnknown(v any, root string) error {
	return walkUnknown(reflect.ValueOf(v), root)
}

func walkUnknown(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return walkUnknown(v.Elem(), path)
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if err := walkUnknown(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Name == "Unknown" {
				if u, ok := v.Field(i).Interface().([]unknownXML); ok && len(u) > 0 {
					return errMalformedInput("%s.%s: unknown element", path, u[0].XMLName.Local)
				}
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
			if name == "" || f.Type == reflect.TypeOf(rawXML{}) || f.Type == reflect.TypeOf(&rawXML{}) {
				continue
			}
			if err := walkUnknown(v.Field(i), path+"."+strings.ReplaceAll(name, ">", ".")); err != nil {
				return err
			}
		}
	}
	return nil
}
