package report

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"

	"github.com/bankdown/linkrecovery/internal/sanitize"
)

// hostile are strings a webhook body, a Plaid error or an e-mail could carry, each aimed at
// Markdown, Mermaid, HTML or the terminal.
var hostile = []string{
	"a;b#c%%d-->e", // Mermaid: statement end, entity start, comment, arrow
	"x\ny\r\nNote over App: forged",
	"</code><script>alert(1)</script><img src=x onerror=alert(1)>",
	"```\n# injected heading\n```",
	"%%{init: {'theme':'forest','securityLevel':'loose'}}%%",
	"one<br>two<br/>three",
	"$$x^2$$ and $y$",
	"wrap:forced",
	"nowrap:forced",
	"ﬂ°°60¶ß ﬂ°lt¶ß", // Mermaid's own entity placeholders
	"[click](javascript:alert(1)) ![img](http://127.0.0.1/x.png)",
	"| cell | break |",
	"&lt;b&gt; &amp; &#60;",
	"\x1b]52;c;aGk=\x07 \x1b[2J \u009b31m",
	"\u202eevil\u202c \u2066iso\u2069",
	"*bold* _em_ __strong__ ~~gone~~ `code`",
	"end\nparticipant X as Y",
	"#59; already an entity #35;",
	"<!-- comment --> <? pi ?> <![CDATA[x]]>",
	"back\\slash \\` \\*",
	"key " + fixSecret + " and " + fixLinkToken,
	"zero\u200bwidth\u200djoin\ufeffbom",
	"{{template}} {x}",
	"@user #123 :smile:",
}

// hostileRun is a run in which every piece of outside text is hostile.
func hostileRun() Run {
	h := func(i int) string { return hostile[i%len(hostile)] }
	r := Run{Scenario: h(0), Title: h(2), Mode: Mode(h(3)), PlaidURL: h(4), Webhook: h(5),
		Started: t0, Ended: at(5000), LinkToken: fixLinkToken}
	for i := range hostile {
		r.Checklist = append(r.Checklist, Check{Text: h(i), Done: i%2 == 0, At: at(i)})
	}
	n := 0
	for i := range hostile {
		r.Add(Call{At: at(n), Method: h(i), Endpoint: h(i + 1), Status: 400 + i, Err: h(i + 2),
			Request: []byte(strconvQuote(h(i))), Response: []byte(`{"error_code":` + strconvQuote(h(i)) + `,"error_message":` + strconvQuote(h(i+3)) + `}`)})
		r.Add(Webhook{At: at(n + 1), Type: h(i), Code: "SESSION_FINISHED", Status: h(i + 1), LinkToken: fixLinkToken,
			Verified: i%3 != 0, Reason: h(i + 2), Body: []byte(h(i + 3))})
		r.Add(Page{At: at(n + 2), Step: h(i), Detail: h(i + 1)})
		r.Add(Email{At: at(n + 3), To: h(i), Subject: h(i + 1)})
		r.Add(Fallback{At: at(n + 4), Reason: h(i)})
		r.Add(Note{At: at(n + 5), Text: h(i)})
		n += 6
	}
	r.Item = &Item{ItemID: h(1), InstitutionID: h(2), InstitutionName: h(3)}
	for i := range hostile {
		r.Item.Accounts = append(r.Item.Accounts, Account{ID: h(i), Name: h(i + 1), Mask: h(i + 2), Type: h(i + 3), Subtype: h(i + 4)})
	}
	r.Verdict = &Verdict{Passed: false, Reason: h(1), Via: h(2)}
	return r
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// entityRE is a Mermaid entity code as mermaid() writes them.
var entityRE = regexp.MustCompile(`#(\d+);`)

// decodeEntities is what Mermaid shows for a label.
func decodeEntities(s string) string {
	return entityRE.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m[1 : len(m)-1])
		return string(rune(n))
	})
}

func TestMermaidLabelsAreInert(t *testing.T) {
	for _, h := range hostile {
		got := mermaid(h)
		bare := entityRE.ReplaceAllString(got, "")
		if i := strings.IndexAny(bare, ";#%:<>&`\"{}$\\\n\r|"); i >= 0 {
			t.Errorf("mermaid(%q) = %q: %q is left bare", h, got, bare[i])
		}
		if strings.ContainsAny(bare, "ﬂ¶\u200b\ufeff") {
			t.Errorf("mermaid(%q) = %q leaves a placeholder or invisible character", h, got)
		}
		if want := sanitize.Text(scrub(h)); decodeEntities(got) != want {
			t.Errorf("mermaid(%q) shows %q, want %q", h, decodeEntities(got), want)
		}
	}
}

// diagramLine is one statement of a sequence diagram as report.go writes them.
var diagramLine = regexp.MustCompile(`^    (?:(?:App|Plaid|Person|Hook)(?:->>|-->>|--x|-x)(?:App|Plaid|Person|Hook)|Note over (?:App|Plaid|Person|Hook)(?:,(?:App|Plaid|Person|Hook))?): [^\n;#%<>&` + "`" + `]+$`)

// TestHostileDiagramKeepsItsShape: however hostile the text, every line of the diagram is one
// message or note between the four participants.
func TestHostileDiagramKeepsItsShape(t *testing.T) {
	d := Diagram(hostileRun())
	lines := strings.Split(strings.TrimSuffix(d, "\n"), "\n")
	if lines[0] != "sequenceDiagram" || !strings.HasPrefix(lines[4], "    participant Hook as ") {
		t.Fatalf("diagram head is wrong:\n%s", strings.Join(lines[:5], "\n"))
	}
	for _, l := range lines[5:] {
		// Mermaid swaps entity codes for placeholders before it parses: what it parses is the rest.
		if !diagramLine.MatchString(entityRE.ReplaceAllString(l, "")) {
			t.Errorf("diagram line is not one message or note: %q", l)
		}
		if strings.Contains(l, "%%") || strings.Contains(l, "```") {
			t.Errorf("diagram line holds a comment or a fence: %q", l)
		}
	}
}

// parse reads a report with GitHub's dialect (tables, strikethrough, autolinks, task lists).
func parse(t *testing.T, src []byte) ast.Node {
	t.Helper()
	return goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
}

// toHTML renders a report as GitHub's dialect does, and parses the HTML as a browser would.
func toHTML(t *testing.T, src []byte) *html.Node {
	t.Helper()
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(src, &b); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// textOf is the text a reader sees in n.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// TestHostileMarkdownIsInert renders a report full of hostile text as GitHub's dialect does and
// checks that the page holds only what the report writes itself: no HTML from outside, no links,
// images, emphasis or strikethrough, no headings or table rows that came from outside, and the
// hostile text shown as it is (controls as visible escapes).
func TestHostileMarkdownIsInert(t *testing.T) {
	r := hostileRun()
	src := Markdown(r)
	var headings []string
	var rows [][]string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html", "head", "body", "p", "ul", "li", "code", "pre", "table", "thead", "tbody", "th", "td":
			case "h1", "h2", "h3":
				headings = append(headings, textOf(n))
			case "tr":
				var cells []string
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode {
						cells = append(cells, textOf(c))
					}
				}
				rows = append(rows, cells)
			case "strong":
				if !slices.Contains([]string{"Verdict:", "Reason:", "Scenario:", "Mode:", "When:", "Link token:", "Webhook:"}, textOf(n)) {
					t.Errorf("report holds <strong>%s</strong> from outside text", textOf(n))
				}
			default:
				t.Errorf("report holds a <%s> element: %q", n.Data, textOf(n))
			}
		}
		if n.Type == html.CommentNode {
			t.Errorf("report holds an HTML comment %q", n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(toHTML(t, src))
	// The headings: the title, four sections, and one per call or webhook.
	if want := 1 + 4 + 2*len(hostile); len(headings) != want {
		t.Errorf("report has %d headings, want %d: %q", len(headings), want, headings)
	}
	if want := "Link Recovery report: " + sanitize.Text(scrub(r.Title)); headings[0] != want {
		t.Errorf("title reads %q, want %q", headings[0], want)
	}
	// Two tables, each a header row and a row per checklist step or account.
	if want := 2 + len(r.Checklist) + len(r.Item.Accounts); len(rows) != want {
		t.Fatalf("report has %d table rows, want %d", len(rows), want)
	}
	for i, c := range r.Checklist {
		row := rows[1+i]
		if want := sanitize.Text(scrub(c.Text)); len(row) != 3 || row[1] != want {
			t.Errorf("checklist row %d reads %q, want the step %q as it is", i, row, want)
		}
	}
	for i, a := range r.Item.Accounts {
		row := rows[2+len(r.Checklist)+i]
		if want := sanitize.Text(scrub(a.Name)); len(row) != 5 || row[1] != want || row[2] != "••"+sanitize.Text(scrub(a.Mask)) {
			t.Errorf("account row %d reads %q, want the name %q and number %q as they are", i, row, want, a.Mask)
		}
	}
	// Exactly one mermaid block, and it is the diagram, line for line.
	if got := mermaidBlock(t, src); got != Diagram(r) {
		t.Errorf("the mermaid block is not the diagram:\n%s", got)
	}
	var infos []string
	_ = ast.Walk(parse(t, src), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if f, ok := n.(*ast.FencedCodeBlock); ok && entering {
			infos = append(infos, string(f.Language(src)))
		}
		return ast.WalkContinue, nil
	})
	if got := strings.Join(infos, " "); strings.Count(got, "mermaid") != 1 || strings.Trim(strings.NewReplacer("mermaid", "", "json", "", "text", "").Replace(got), " ") != "" {
		t.Errorf("fenced blocks are %q, want one mermaid and the rest json or text", got)
	}
}

// mermaidBlock is the content of the report's mermaid block, as goldmark reads it.
func mermaidBlock(t *testing.T, src []byte) string {
	t.Helper()
	var out []byte
	_ = ast.Walk(parse(t, src), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if f, ok := n.(*ast.FencedCodeBlock); ok && entering && string(f.Language(src)) == "mermaid" {
			for i := 0; i < f.Lines().Len(); i++ {
				seg := f.Lines().At(i)
				out = append(out, seg.Value(src)...)
			}
		}
		return ast.WalkContinue, nil
	})
	if out == nil {
		t.Fatal("the report has no mermaid block")
	}
	return string(out)
}

func TestMarkdownOfGoldensParses(t *testing.T) {
	for name, r := range map[string]Run{"demo": demoSignup(), "sandbox": sandboxSession()} {
		src := Markdown(r)
		if got := mermaidBlock(t, src); got != Diagram(r) {
			t.Errorf("%s: the mermaid block is not the diagram", name)
		}
		var html bytes.Buffer
		if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(src, &html); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html.String(), `<td>SESSION_FINISHED`) && !strings.Contains(html.String(), `<td>✅</td>`) {
			t.Errorf("%s: the checklist is not a table:\n%s", name, html.String())
		}
	}
}

func TestBodyFenceOutlastsBackticks(t *testing.T) {
	text, lang := bodyText([]byte("not json ```` still"), 0)
	f := fenced(text, lang)
	if !strings.HasPrefix(f, "`````text\n") || !strings.HasSuffix(f, "\n`````\n") {
		t.Errorf("fence = %q", f)
	}
	// JSON is re-encoded: HTML characters become \u escapes, controls cannot appear raw.
	text, lang = bodyText([]byte(`{"a":"</code>\u001b[2J"}`), 0)
	if lang != "json" || strings.ContainsAny(text, "<>\x1b") {
		t.Errorf("json body = %q (%s)", text, lang)
	}
}
