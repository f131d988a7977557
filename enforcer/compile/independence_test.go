package compile

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The compiler and the truth oracle implement the same semantics and must
// share no code or rule text, so that each catches the other's bugs. These
// tests read both packages' sources and fail when a function body or a
// table (a composite literal) of one appears in the other, also with its
// names changed.

// minShapeTokens and minTableTokens are the least sizes of a body and of a
// table compared: below them, "return a, b" and its like match everywhere.
const (
	minShapeTokens = 24
	minTableTokens = 12
)

// oracleDir is the truth oracle's package, from this package's directory.
const oracleDir = "../../scenarios/truth"

func TestSharesNoTextWithTheOracle(t *testing.T) {
	ours, err := shapesOfDir(".")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := shapesOfDir(oracleDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) < 20 || len(theirs) < 20 {
		t.Fatalf("read %d shapes here and %d in the oracle: the sources were not found", len(ours), len(theirs))
	}
	for _, p := range sharedShapes(ours, theirs) {
		t.Errorf("%s and %s are the same code: write one of them anew from the API's text", p[0], p[1])
	}
}

// The check finds a copied function whose names were all changed, and a
// copied rule table, and leaves different code alone.
func TestSharedShapesFindsCopies(t *testing.T) {
	oracle := `package truth
func directions(p *Policy) (ingress, egress bool) {
	if len(p.Spec.Types) == 0 {
		return true, len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.Types {
		switch t {
		case api.Ingress:
			ingress = true
		case api.Egress:
			egress = true
		}
	}
	return ingress, egress
}
var protocols = map[string]int{"TCP": 6, "UDP": 17, "SCTP": 132, "ICMP": 1}
`
	compiler := `package compile
func policyTypes(np *Policy) (in, out bool) {
	if len(np.Spec.Types) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, kind := range np.Spec.Types {
		switch kind {
		case api.Ingress:
			in = true
		case api.Egress:
			out = true
		}
	}
	return in, out
}
var numbers = map[string]int{"TCP": 6, "UDP": 17, "SCTP": 132, "ICMP": 1}
func different(np *Policy) (bool, bool) {
	types := np.Spec.Types
	if len(types) == 0 { types = defaultTypes(np) }
	return slices.Contains(types, api.Ingress), slices.Contains(types, api.Egress)
}
`
	a, err := shapesOfSource("truth.go", oracle)
	if err != nil {
		t.Fatal(err)
	}
	b, err := shapesOfSource("compile.go", compiler)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range sharedShapes(b, a) {
		got = append(got, p[0]+" = "+p[1])
	}
	want := []string{"compile.go: func policyTypes = truth.go: func directions", "compile.go: table at line 16 = truth.go: table at line 16"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("shared shapes\n got: %q\nwant: %q", got, want)
	}
}

// shape is one function body or table with where it is.
type shape struct {
	where string
	text  string
}

func sharedShapes(ours, theirs []shape) [][2]string {
	index := map[string]string{}
	for _, s := range theirs {
		index[s.text] = s.where
	}
	var out [][2]string
	for _, s := range ours {
		if where, ok := index[s.text]; ok {
			out = append(out, [2]string{s.where, where})
		}
	}
	return out
}

func shapesOfDir(dir string) ([]shape, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var out []shape
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		shapes, err := shapesOfSource(f, string(src))
		if err != nil {
			return nil, err
		}
		out = append(out, shapes...)
	}
	return out, nil
}

// shapesOfSource returns the shapes of a file's function bodies and tables
// (composite literals of four elements or more) big enough to compare.
func shapesOfSource(name, src string) ([]shape, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return nil, err
	}
	var out []shape
	add := func(where string, n ast.Node, least int) {
		if text, tokens := normalize(n); tokens >= least {
			out = append(out, shape{where: where, text: text})
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil {
				add(fmt.Sprintf("%s: func %s", name, n.Name.Name), n.Body, minShapeTokens)
			}
		case *ast.CompositeLit:
			if len(n.Elts) >= 4 {
				add(fmt.Sprintf("%s: table at line %d", name, fset.Position(n.Pos()).Line), n, minTableTokens)
			}
		}
		return true
	})
	return out, nil
}

// normalize renders a node as its token kinds and values, with local names
// replaced by their order of first use, so that a copy with its variables
// renamed still matches. Names after a dot (fields, package members such as
// networkingv1.PolicyTypeIngress) are kept: they are the API's own words.
func normalize(n ast.Node) (string, int) {
	var b strings.Builder
	names := map[string]int{}
	tokens := 0
	emit := func(s string) {
		b.WriteString(s)
		b.WriteByte(' ')
		tokens++
	}
	var walk func(ast.Node) bool
	walk = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(n.X, walk)
			emit("." + n.Sel.Name)
			return false
		case *ast.Ident:
			if _, ok := names[n.Name]; !ok {
				names[n.Name] = len(names)
			}
			emit(fmt.Sprintf("v%d", names[n.Name]))
		case *ast.BasicLit:
			emit(n.Value)
		case *ast.BinaryExpr:
			emit(n.Op.String())
		case *ast.UnaryExpr:
			emit(n.Op.String())
		case *ast.AssignStmt:
			emit(n.Tok.String())
		case *ast.IncDecStmt:
			emit(n.Tok.String())
		case *ast.BranchStmt:
			emit(n.Tok.String())
		case nil:
		default:
			emit(fmt.Sprintf("%T", n))
		}
		return true
	}
	ast.Inspect(n, walk)
	return b.String(), tokens
}
