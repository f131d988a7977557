package images

// Spec describes one image: what goes into its single layer and how it runs.
type Spec struct {
	// Refs are the names the image is tagged with ("registry.k8s.io/pause:3.10.1",
	// or "netpolcheck/probe:devel", which docker and containerd read as
	// docker.io/netpolcheck/probe:devel); at least one is needed.
	Refs []string
	// Files are copied from the host into the image.
	Files []File
	// Links are symlinks placed in the image, after the trees.
	Links []Link
	// Trees are whole host directories laid at the image's root, such as a
	// debootstrapped userland. Files are applied after them, so they win.
	Trees      []string
	Entrypoint []string
	Cmd        []string
	Env        []string
	// User runs the entrypoint, as "uid" or "uid:gid"; empty means root.
	User   string
	Labels map[string]string
}

// File is one host file placed in the image.
type File struct {
	// Source is the host path.
	Source string
	// Path is the absolute path inside the image.
	Path string
	// Mode is the file's permission bits in the image.
	Mode int64
}

// Link is one symlink in the image.
type Link struct {
	Path   string
	Target string
}

// BinaryImage is the common case: one program, run as its entrypoint by the
// given user. Parent directories and a passwd/group pair naming root and
// nobody are added so that tools which look the user up find it.
func BinaryImage(ref, binary, path, user string, args ...string) Spec {
	return Spec{
		Refs:       []string{ref},
		Files:      []File{{Source: binary, Path: path, Mode: 0o755}},
		Entrypoint: append([]string{path}, args...),
		User:       user,
	}
}
