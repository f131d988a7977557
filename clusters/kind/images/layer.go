package images

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// epoch is every entry's time: the same inputs give the same layer digest.
var epoch = time.Unix(0, 0)

// minimalEtc names root and nobody, which a layer of bare binaries lacks.
var minimalEtc = map[string]string{
	"/etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
	"/etc/group":  "root:x:0:\nnogroup:x:65534:\n",
}

// writeLayer writes the spec's trees, then its files, as one tar stream.
func writeLayer(w io.Writer, spec Spec) error {
	tw := tar.NewWriter(w)
	written := map[string]bool{}
	// Paths the spec sets itself are left out of the trees: a tar holding one
	// path twice extracts differently in different tools.
	overridden := map[string]bool{}
	for _, f := range spec.Files {
		overridden[f.Path] = true
	}
	for _, l := range spec.Links {
		overridden[l.Path] = true
	}
	for _, tree := range spec.Trees {
		if err := writeTree(tw, tree, overridden, written); err != nil {
			return err
		}
	}
	if len(spec.Trees) == 0 {
		if err := writeMinimalEtc(tw, written); err != nil {
			return err
		}
	}
	for _, f := range spec.Files {
		if err := writeFile(tw, f, written); err != nil {
			return err
		}
	}
	for _, l := range spec.Links {
		if err := writeLink(tw, l, written); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("close layer: %w", err)
	}
	return nil
}

// writeMinimalEtc adds /etc with passwd and group, in sorted order for a stable digest.
func writeMinimalEtc(tw *tar.Writer, written map[string]bool) error {
	if err := writeParents(tw, "/etc/passwd", written); err != nil {
		return err
	}
	names := make([]string, 0, len(minimalEtc))
	for name := range minimalEtc {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		body := minimalEtc[name]
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(name, "/"), Mode: 0o644, Size: int64(len(body)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		written[name] = true
	}
	return nil
}

// writeParents adds the directories above an image path that are not in the layer yet.
func writeParents(tw *tar.Writer, imagePath string, written map[string]bool) error {
	var parents []string
	for dir := path.Dir(imagePath); dir != "/" && dir != "."; dir = path.Dir(dir) {
		parents = append([]string{dir}, parents...)
	}
	for _, dir := range parents {
		if written[dir] {
			continue
		}
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(dir, "/") + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		written[dir] = true
	}
	return nil
}

// writeFile copies one host file into the layer.
func writeFile(tw *tar.Writer, f File, written map[string]bool) error {
	if !path.IsAbs(f.Path) {
		return fmt.Errorf("image path %q is not absolute", f.Path)
	}
	data, err := os.ReadFile(f.Source)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Source, err)
	}
	if err := writeParents(tw, f.Path, written); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.Path, "/"), Mode: f.Mode, Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	written[f.Path] = true
	return nil
}

// writeLink adds one symlink.
func writeLink(tw *tar.Writer, l Link, written map[string]bool) error {
	if !path.IsAbs(l.Path) {
		return fmt.Errorf("image path %q is not absolute", l.Path)
	}
	if err := writeParents(tw, l.Path, written); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeSymlink, Name: strings.TrimPrefix(l.Path, "/"), Linkname: l.Target, Mode: 0o777, ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write %s: %w", l.Path, err)
	}
	written[l.Path] = true
	return nil
}

// writeTree copies a host directory as the image root, keeping owners, modes,
// symlinks and device nodes, with numeric owners only: the host's user names
// mean nothing in the image.
func writeTree(tw *tar.Writer, root string, skip, written map[string]bool) error {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || skip["/"+filepath.ToSlash(rel)] {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		written["/"+filepath.ToSlash(rel)] = true
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("add tree %s: %w", root, err)
	}
	return nil
}
