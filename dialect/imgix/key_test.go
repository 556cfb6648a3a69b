package imgix

import "testing"

func TestKeyFromQueryRemoval(t *testing.T) {
	p, err := mustParseQuery(t, "w=800&fm=png&bg-remove=true&model=isnet&refine=1&semitransparency=0&crop=fg&fg-pad=2%25&scale=80%25&position=50,100&"+
		"bg-image=https://x/y.jpg&shadow=drop&shadow-color=f00&shadow-opacity=.30&shadow-offset=-5,20&shadow-blur=4&feather=2.50&erode=3")
	if err != nil {
		t.Fatal(err)
	}
	const want = `w=800,fm=png,rembg=1,model="isnet",threshold=0.5,refine=1,feather=2.5,erode=3,crop-fg=1,fg-pad=2%,scale=0.8,position=50:100,` +
		`bg-image="https://x/y.jpg",shadow=drop,shadow-color=ff0000ff,shadow-opacity=0.3,shadow-offset=-5:20,shadow-blur=4`
	if got := p.Key(); got != want {
		t.Errorf("Key() =\n%s\nwant\n%s", got, want)
	}
	p, err = mustParseQuery(t, "rembg=1&scale=0.5&mask=1&crop=fg&fg-pad=7")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Key(), "rembg=1,mask=1,crop-fg=1,fg-pad=7px,scale=0.5,position=50:50"; got != want {
		t.Errorf("Key() = %s, want %s", got, want)
	}
}

func TestKeyFromQuery(t *testing.T) {
	p, err := mustParseQuery(t, "pad=4&trim=color&sharp=10&blur=20&bg=%23CCFF8000&lossless=true&q=80&auto=compress,format&fm=webp&flip=vh&rot=314.75&rot-type=pivot&rect=10,20,300,200&crop=right,bottom&fit=crop&dpr=1.50&h=608&w=808&unrelated=x")
	if err != nil {
		t.Fatal(err)
	}
	// The same golden key as params.TestKeyGolden's richParams: every
	// field parsed, canonicalised (rot=314.75 counter-clockwise, pivoting,
	// is 45.25 clockwise; vh is hv); pad=4
	// on each side comes off the 808x608 box (see TestParseQueryPadWithinBox).
	const golden = "w=800,h=600,dpr=1.5,fit=crop,crop=bottom-right,rect=10:20:300:200,rot=45.25,flip=hv,fm=webp,auto=format,q=80,lossless=1,bg=ff8000cc,blur=20,sharp=10,trim=1,pad=4"
	if got := p.Key(); got != golden {
		t.Errorf("Key() =\n%s\nwant\n%s", got, golden)
	}
}
