package images

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Write builds the image and writes it as a docker-archive tarball at path.
// The layer is staged in a temporary file beside path, as a tree can weigh
// hundreds of megabytes.
func Write(spec Spec, path string) error {
	if len(spec.Refs) == 0 {
		return errors.New("write image: no name given")
	}
	staged, err := os.CreateTemp(filepath.Dir(path), ".layer-*.tar")
	if err != nil {
		return fmt.Errorf("write image %s: %w", spec.Refs[0], err)
	}
	defer os.Remove(staged.Name())
	defer staged.Close()
	if err := writeLayer(staged, spec); err != nil {
		return fmt.Errorf("write image %s: %w", spec.Refs[0], err)
	}
	img, err := build(spec, staged.Name())
	if err != nil {
		return fmt.Errorf("write image %s: %w", spec.Refs[0], err)
	}
	refs := map[name.Reference]v1.Image{}
	for _, r := range spec.Refs {
		tag, err := name.NewTag(r)
		if err != nil {
			return fmt.Errorf("write image: name %q: %w", r, err)
		}
		refs[tag] = img
	}
	if err := tarball.MultiRefWriteToFile(path, refs); err != nil {
		return fmt.Errorf("write image %s: %w", spec.Refs[0], err)
	}
	return nil
}

// build makes the image from the staged layer file and the spec's config.
func build(spec Spec, layerPath string) (v1.Image, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return os.Open(layerPath) })
	if err != nil {
		return nil, err
	}
	base, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		OS:           "linux",
		Architecture: runtime.GOARCH,
		Config: v1.Config{
			Entrypoint: spec.Entrypoint,
			Cmd:        spec.Cmd,
			Env:        spec.Env,
			User:       spec.User,
			Labels:     spec.Labels,
		},
	})
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(base, layer)
}
