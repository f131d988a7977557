package nodeimage

import (
	"context"
	"fmt"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// baseKey covers the node userland, kind's base files and the assembly script.
func baseKey(rootfs, binaries Key, kindFiles string) (Key, error) {
	b := NewKeyBuilder().
		Key("rootfs", rootfs).
		Key("binaries", binaries).
		String("kind", KindVersion).
		Bytes("base-rootfs.sh", baseRootfsScript).
		Bytes("entrypoint-offline", entrypointOffline)
	if err := b.Tree("kind-files", kindFiles); err != nil {
		return "", err
	}
	return b.Sum(), nil
}

// buildBase assembles the kindest/base equivalent from a copy of the node
// rootfs and imports it into docker as image, labelled with key.
func buildBase(ctx context.Context, log io.Writer, work, rootfs, kindFiles, crictl, image string, key Key) error {
	tree := filepath.Join(work, "rootfs")
	if _, err := (run.Command{Name: "cp", Args: []string{"-a", rootfs, tree}}).Output(ctx, log); err != nil {
		return fmt.Errorf("copy rootfs: %w", err)
	}
	script, err := writeExecutable(work, "base-rootfs.sh", baseRootfsScript)
	if err != nil {
		return err
	}
	entrypoint, err := writeExecutable(work, "entrypoint-offline", entrypointOffline)
	if err != nil {
		return err
	}
	if _, err := (run.Command{Name: script, Args: []string{tree, kindFiles, crictl, entrypoint}}).Output(ctx, log); err != nil {
		return fmt.Errorf("assemble base rootfs: %w", err)
	}
	return importTree(ctx, log, tree, image,
		"ENV container=docker",
		// kind's base also sets STOPSIGNAL SIGRTMIN+3, which docker import
		// refuses; kind removes nodes with `docker rm -f`, so it never matters.
		`ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]`,
		"LABEL "+KeyLabel+"="+string(key))
}

// importTree streams a directory as a tar into `docker import` with the given
// Dockerfile-style changes, without a temporary archive of the whole tree.
func importTree(ctx context.Context, log io.Writer, tree, image string, changes ...string) error {
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	args = append(args, "-", image)
	fmt.Fprintf(log, "+ tar -C %s -c . | docker %v\n", tree, args)
	tarCmd := exec.CommandContext(ctx, "tar", "-C", tree, "--numeric-owner", "-c", ".")
	tarCmd.Stderr = os.Stderr
	stream, err := tarCmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("import %s: %w", image, err)
	}
	if err := tarCmd.Start(); err != nil {
		return fmt.Errorf("import %s: %w", image, err)
	}
	importErr := dockerWithInput(ctx, io.Discard, stream, args...)
	// Closing our end stops tar with EPIPE if docker gave up early.
	stream.Close()
	tarErr := tarCmd.Wait()
	if importErr != nil {
		return fmt.Errorf("import %s: %w", image, importErr)
	}
	if tarErr != nil {
		return fmt.Errorf("import %s: tar: %w", image, tarErr)
	}
	return nil
}
