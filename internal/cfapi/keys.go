package cfapi

import (
	"context"
	"encoding/xml"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// PublicKey operations (/public-key; update is PUT /public-key/{Id}/config)
// and KeyGroup operations (/key-group; update is PUT /key-group/{Id}).

type publicKeyConfigXML struct {
	XMLName         xml.Name     `xml:"PublicKeyConfig"`
	Xmlns           string       `xml:"xmlns,attr,omitempty"`
	CallerReference string       `xml:"CallerReference"`
	Name            string       `xml:"Name"`
	EncodedKey      string       `xml:"EncodedKey"`
	Comment         *string      `xml:"Comment"`
	Unknown         []unknownXML `xml:",any"`
}

type publicKeyXML struct {
	XMLName     xml.Name           `xml:"PublicKey"`
	Xmlns       string             `xml:"xmlns,attr,omitempty"`
	Id          string             `xml:"Id"`
	CreatedTime string             `xml:"CreatedTime"`
	Config      publicKeyConfigXML `xml:"PublicKeyConfig"`
}

type publicKeyListXML struct {
	XMLName    xml.Name           `xml:"PublicKeyList"`
	Xmlns      string             `xml:"xmlns,attr"`
	NextMarker string             `xml:"NextMarker,omitempty"`
	MaxItems   int                `xml:"MaxItems"`
	Quantity   int                `xml:"Quantity"`
	Items      *publicKeyItemsXML `xml:"Items"`
}

type publicKeyItemsXML struct {
	Summary []publicKeySummaryXML `xml:"PublicKeySummary"`
}

type publicKeySummaryXML struct {
	Id          string  `xml:"Id"`
	Name        string  `xml:"Name"`
	CreatedTime string  `xml:"CreatedTime"`
	EncodedKey  string  `xml:"EncodedKey"`
	Comment     *string `xml:"Comment"`
}

type keyGroupConfigXML struct {
	XMLName xml.Name     `xml:"KeyGroupConfig"`
	Xmlns   string       `xml:"xmlns,attr,omitempty"`
	Name    string       `xml:"Name"`
	Items   []string     `xml:"Items>PublicKey"`
	Comment *string      `xml:"Comment"`
	Unknown []unknownXML `xml:",any"`
}

type keyGroupXML struct {
	XMLName          xml.Name          `xml:"KeyGroup"`
	Xmlns            string            `xml:"xmlns,attr,omitempty"`
	Id               string            `xml:"Id"`
	LastModifiedTime string            `xml:"LastModifiedTime"`
	Config           keyGroupConfigXML `xml:"KeyGroupConfig"`
}

type keyGroupListXML struct {
	XMLName    xml.Name          `xml:"KeyGroupList"`
	Xmlns      string            `xml:"xmlns,attr"`
	NextMarker string            `xml:"NextMarker,omitempty"`
	MaxItems   int               `xml:"MaxItems"`
	Quantity   int               `xml:"Quantity"`
	Items      *keyGroupItemsXML `xml:"Items"`
}

type keyGroupItemsXML struct {
	Summary []keyGroupSummaryXML `xml:"KeyGroupSummary"`
}

type keyGroupSummaryXML struct {
	KeyGroup keyGroupXML `xml:"KeyGroup"`
}

func publicKeyConfigOf(k *model.PublicKey) publicKeyConfigXML {
	return publicKeyConfigXML{CallerReference: k.CallerReference, Name: k.Name, EncodedKey: k.EncodedKey, Comment: ptr(k.Comment)}
}

func publicKeyOf(v control.Versioned[model.PublicKey]) publicKeyXML {
	return publicKeyXML{Xmlns: Namespace, Id: v.Item.ID, CreatedTime: v.Item.CreatedTime.UTC().Format(timeLayout),
		Config: publicKeyConfigOf(&v.Item)}
}

func keyGroupConfigOf(g *model.KeyGroup) keyGroupConfigXML {
	return keyGroupConfigXML{Name: g.Name, Items: g.Items, Comment: ptr(g.Comment)}
}

func keyGroupOf(v control.Versioned[model.KeyGroup]) keyGroupXML {
	return keyGroupXML{Xmlns: Namespace, Id: v.Item.ID, LastModifiedTime: v.Item.LastModified.UTC().Format(timeLayout),
		Config: keyGroupConfigOf(&v.Item)}
}

func readPublicKey(r *http.Request) (model.PublicKey, error) {
	var c publicKeyConfigXML
	if err := decodeXML(r, &c); err != nil {
		return model.PublicKey{}, err
	}
	if err := checkUnknown(&c, "PublicKeyConfig"); err != nil {
		return model.PublicKey{}, err
	}
	return model.PublicKey{CallerReference: c.CallerReference, Name: c.Name, EncodedKey: c.EncodedKey, Comment: valueOf(c.Comment)}, nil
}

func readKeyGroup(r *http.Request) (model.KeyGroup, error) {
	var c keyGroupConfigXML
	if err := decodeXML(r, &c); err != nil {
		return model.KeyGroup{}, err
	}
	if err := checkUnknown(&c, "KeyGroupConfig"); err != nil {
		return model.KeyGroup{}, err
	}
	return model.KeyGroup{Name: c.Name, Items: c.Items, Comment: valueOf(c.Comment)}, nil
}

func (s *Server) registerKeys() {
	keys, groups := s.svc.PublicKeys(), s.svc.KeyGroups()
	registerCRUD(s, crudSpec[model.PublicKey]{
		path: "/public-key", update: "/{Id}/config", field: "PublicKeyConfig",
		ops: keys, read: readPublicKey,
		list: func(ctx context.Context, _ string) ([]control.Versioned[model.PublicKey], error) {
			return keys.List(ctx)
		},
		id:  func(v control.Versioned[model.PublicKey]) string { return v.Item.ID },
		one: func(v control.Versioned[model.PublicKey]) any { return publicKeyOf(v) },
		config: func(k *model.PublicKey) any {
			x := publicKeyConfigOf(k)
			x.Xmlns = Namespace
			return x
		},
		page: func(items []control.Versioned[model.PublicKey], maxItems int, next string) any {
			out := publicKeyListXML{Xmlns: Namespace, NextMarker: next, MaxItems: maxItems, Quantity: len(items)}
			if len(items) > 0 {
				out.Items = &publicKeyItemsXML{}
			}
			for _, v := range items {
				k := v.Item
				out.Items.Summary = append(out.Items.Summary, publicKeySummaryXML{Id: k.ID, Name: k.Name,
					CreatedTime: k.CreatedTime.UTC().Format(timeLayout), EncodedKey: k.EncodedKey, Comment: ptr(k.Comment)})
			}
			return out
		},
	})
	registerCRUD(s, crudSpec[model.KeyGroup]{
		path: "/key-group", update: "/{Id}", field: "KeyGroupConfig",
		ops: groups, read: readKeyGroup,
		list: func(ctx context.Context, _ string) ([]control.Versioned[model.KeyGroup], error) {
			return groups.List(ctx)
		},
		id:  func(v control.Versioned[model.KeyGroup]) string { return v.Item.ID },
		one: func(v control.Versioned[model.KeyGroup]) any { return keyGroupOf(v) },
		config: func(g *model.KeyGroup) any {
			x := keyGroupConfigOf(g)
			x.Xmlns = Namespace
			return x
		},
		page: func(items []control.Versioned[model.KeyGroup], maxItems int, next string) any {
			out := keyGroupListXML{Xmlns: Namespace, NextMarker: next, MaxItems: maxItems, Quantity: len(items)}
			if len(items) > 0 {
				out.Items = &keyGroupItemsXML{}
			}
			for _, v := range items {
				g := keyGroupOf(v)
				g.Xmlns = ""
				out.Items.Summary = append(out.Items.Summary, keyGroupSummaryXML{KeyGroup: g})
			}
			return out
		},
	})
}
