package app

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kind/images"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
)

// imageTag is the tag of the images this binary loads: its version, as
// kube.ProbeImage spells it, so that certify's default --probe-image names
// exactly the probe image that kind load put on the nodes.
func imageTag() string {
	ref := kube.ProbeImage(version())
	return ref[strings.LastIndex(ref, ":")+1:]
}

// binaryImage is one --binary-image: a static binary to wrap as an image.
type binaryImage struct{ ref, binary string }

type binaryImageList []binaryImage

// binaryImages reads --binary-image REF=BINARY values, checking that each
// reference parses and each binary is static.
func binaryImages(values []string) (binaryImageList, error) {
	var out binaryImageList
	for _, v := range values {
		ref, binary, ok := strings.Cut(v, "=")
		if !ok || ref == "" || binary == "" {
			return nil, badInput("--binary-image %q: not REF=BINARY", v)
		}
		if _, err := name.ParseReference(ref); err != nil {
			return nil, badInput("--binary-image %q: image reference: %v", v, err)
		}
		if err := kind.CheckStatic(binary); err != nil {
			return nil, badInput("--binary-image %q: %v", v, err)
		}
		out = append(out, binaryImage{ref, binary})
	}
	return out, nil
}

// write makes each image's archive in dir.
func (l binaryImageList) write(dir string) ([]string, error) {
	var archives []string
	for i, b := range l {
		path := "/" + filepath.Base(b.binary)
		archive := filepath.Join(dir, fmt.Sprintf("binary-%d.tar", i))
		if err := images.Write(images.BinaryImage(b.ref, b.binary, path, ""), archive); err != nil {
			return nil, fmt.Errorf("image %s: %w", b.ref, err)
		}
		archives = append(archives, archive)
	}
	return archives, nil
}
