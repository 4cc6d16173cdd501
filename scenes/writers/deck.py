"""A PowerPoint deck from clips, stills and notes, with python-pptx (imported when used).

The slides: a title slide (the run's settings beside the starting picture), one full-bleed
clip per beat of the detailed steps and one for the fast-forward (each MP4 starts by itself
when its slide opens and shows a poster frame until then, and in apps that do not play it),
and a final slide (the summary beside the final fit). A run that recorded its autograd graphs
gets, after each detailed beat's clip, a still slide of the graph as that beat leaves it
(after the forward pass, ``zero_grad()``, ``backward()`` and ``step()``), drawn as shapes
(:mod:`scenes.writers.deck_graph`). Speaker notes carry the numbers.

Autoplay: python-pptx adds a movie that plays on click. PowerPoint writes "Start:
Automatically" as a main-sequence effect of the media-call class that runs ``playFrom(0.0)``
after the slide begins (``nodeType="afterEffect"``, started by ``onBegin`` of the main
sequence), beside the ``p:video`` node; :func:`autoplay` writes that same timing tree.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from scenes.colour import hex_rgb
from scenes.story.theme import Theme
from training.errors import InputError

__all__ = ["DeckSlide", "build_deck", "autoplay", "check_media_slides", "check_deck_size",
           "MAX_MEDIA_SLIDES", "MAX_DECK_MB", "SLIDE_WIDTH_EMU"]

# PowerPoint users report media that stop playing after about 30 slides (manim-slides'
# PowerPoint export): a deck keeps its video slides within that.
MAX_MEDIA_SLIDES = 30
# A deck of the default run is a few MB; 15 MB still goes by e-mail and imports anywhere.
MAX_DECK_MB = 15.0
SLIDE_WIDTH_EMU = 12_192_000  # 13.333 in: PowerPoint's 16:9 widescreen, 1280 px at 96 dpi
EMU_PER_INCH = 914_400


@dataclass(frozen=True, kw_only=True)
class DeckSlide:
    """One slide: ``kind`` is "title", "clip", "graph" or "final"; ``image`` is the poster frame
    of a clip, or the picture of a title or final slide; ``lines`` the text of those two;
    ``graph`` what a graph slide draws (a :class:`scenes.story.deck.GraphSlide`)."""

    kind: str
    caption: str
    notes: str
    image: Path | None = None
    clip: Path | None = None
    duration_ms: int = 0
    lines: tuple[str, ...] = ()
    graph: Any = None


def check_media_slides(n_media: int, detail_steps: int, has_fast: bool) -> None:
    """A one-line :class:`InputError` when a deck would hold more video slides than the
    budget, naming the ``--detail-steps`` that fits (four slides per step)."""
    if n_media <= MAX_MEDIA_SLIDES:
        return
    fits = max(0, (MAX_MEDIA_SLIDES - int(has_fast)) // 4)
    raise InputError(f"a deck of {detail_steps} detailed steps needs {n_media} video slides, over the budget "
                     f"of {MAX_MEDIA_SLIDES} (users report PowerPoint media stopping in longer decks); "
                     f"use --detail-steps {fits} or fewer")


def check_deck_size(size_bytes: int, detail_steps: int, max_mb: float = MAX_DECK_MB) -> None:
    """A one-line :class:`InputError` when the written deck is over its size budget."""
    if size_bytes <= max_mb * 1e6:
        return
    fewer = f"--detail-steps {max(detail_steps - 1, 0)} or fewer" if detail_steps > 0 else "a smaller --size"
    raise InputError(f"the deck would be {size_bytes / 1e6:.1f} MB, over its size budget of {max_mb:g} MB; "
                     f"use {fewer}, a smaller --size or a lower --quality")


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor
    return RGBColor(*hex_rgb(hex_colour))


def build_deck(path: Path, slides: Sequence[DeckSlide], *, frame_size: tuple[int, int], theme: Theme,
               title: str, final_title: str = "The final fit") -> None:
    """Write the deck to ``path`` (the caller makes it atomic)."""
    from pptx import Presentation
    from pptx.util import Emu

    w, h = frame_size
    prs = Presentation()
    prs.slide_width = Emu(SLIDE_WIDTH_EMU)
    prs.slide_height = Emu(round(SLIDE_WIDTH_EMU * h / w))
    blank = prs.slide_layouts[6]
    for item in slides:
        slide = prs.slides.add_slide(blank)
        fill = slide.background.fill
        fill.solid()
        fill.fore_color.rgb = _rgb(theme.color("background"))
        if item.kind == "clip":
            _clip(slide, item, prs.slide_width, prs.slide_height)
        elif item.kind == "graph":
            from scenes.writers.deck_graph import draw_graph_slide
            draw_graph_slide(slide, item.graph, theme, prs.slide_height / EMU_PER_INCH)
        else:
            _text_and_picture(slide, item, title if item.kind == "title" else final_title,
                              prs.slide_width, prs.slide_height, theme)
        _notes(slide, item.notes)
    prs.save(str(path))


def _clip(slide, item: DeckSlide, width: int, height: int) -> None:
    movie = slide.shapes.add_movie(str(item.clip), 0, 0, width, height,
                                   poster_frame_image=str(item.image), mime_type="video/mp4")
    movie.name = f"Clip: {item.caption}"
    movie._element.nvPicPr.cNvPr.set("descr", item.caption)  # alt text, for screen readers
    autoplay(slide, movie, item.duration_ms)


def _text_and_picture(slide, item: DeckSlide, title: str, width: int, height: int, theme: Theme) -> None:
    from pptx.util import Emu, Pt

    inch = EMU_PER_INCH
    margin = int(0.5 * inch)
    text_w = int(width * 0.34)
    pic_left = margin + text_w + int(0.25 * inch)
    pic_w = width - pic_left - margin
    img_w, img_h = _image_size(item.image)
    pic_h = round(pic_w * img_h / img_w)
    top = int(1.9 * inch)
    if top + pic_h > height - margin:  # a tall frame: fit the height instead
        pic_h = height - margin - top
        pic_w = round(pic_h * img_w / img_h)

    box = slide.shapes.add_textbox(margin, int(0.35 * inch), width - 2 * margin, int(0.9 * inch))
    box.name = "Title"
    tf = box.text_frame
    tf.word_wrap = True
    p = tf.paragraphs[0]
    p.text = title
    p.font.size, p.font.bold, p.font.color.rgb = Pt(30), True, _rgb(theme.color("text"))
    q = tf.add_paragraph()
    q.text = item.caption
    q.font.size, q.font.color.rgb = Pt(16), _rgb(theme.color("muted"))

    body = slide.shapes.add_textbox(margin, top, text_w, height - top - margin)
    body.name = "Settings" if item.kind == "title" else "Summary"
    tf = body.text_frame
    tf.word_wrap = True
    for i, line in enumerate(item.lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = line
        p.font.size, p.font.color.rgb = Pt(15), _rgb(theme.color("text"))
        p.space_after = Pt(6)
    pic = slide.shapes.add_picture(str(item.image), Emu(pic_left), Emu(top), Emu(pic_w), Emu(pic_h))
    pic.name = "Picture: " + item.caption
    pic._element.nvPicPr.cNvPr.set("descr", item.caption)
    pic.line.color.rgb = _rgb(theme.color("grid"))


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image
    with Image.open(path) as im:
        return im.size


def _notes(slide, text: str) -> None:
    from pptx.util import Pt
    tf = slide.notes_slide.notes_text_frame
    tf.text = text
    for p in tf.paragraphs:  # the batch table lines up in a fixed-width font
        for r in p.runs:
            r.font.name, r.font.size = "Courier New", Pt(11)


# The timing tree PowerPoint writes for one video that starts automatically. The ids of the
# p:cTn nodes only have to be unique within the slide.
_TIMING = """\
<p:timing xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">
  <p:tnLst><p:par><p:cTn id="1" dur="indefinite" restart="never" nodeType="tmRoot"><p:childTnLst>
    <p:seq concurrent="1" nextAc="seek">
      <p:cTn id="2" dur="indefinite" nodeType="mainSeq"><p:childTnLst>
        <p:par><p:cTn id="3" fill="hold">
          <p:stCondLst><p:cond delay="indefinite"/><p:cond evt="onBegin" delay="0"><p:tn val="2"/></p:cond></p:stCondLst>
          <p:childTnLst><p:par><p:cTn id="4" fill="hold">
            <p:stCondLst><p:cond delay="0"/></p:stCondLst>
            <p:childTnLst><p:par>
              <p:cTn id="5" presetID="1" presetClass="mediacall" presetSubtype="0" fill="hold" nodeType="afterEffect">
                <p:stCondLst><p:cond delay="0"/></p:stCondLst>
                <p:childTnLst><p:cmd type="call" cmd="playFrom(0.0)"><p:cBhvr>
                  <p:cTn id="6" dur="{dur}" fill="hold"/>
                  <p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl>
                </p:cBhvr></p:cmd></p:childTnLst>
              </p:cTn>
            </p:par></p:childTnLst>
          </p:cTn></p:par></p:childTnLst>
        </p:cTn></p:par>
      </p:childTnLst></p:cTn>
      <p:prevCondLst><p:cond evt="onPrev" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:prevCondLst>
      <p:nextCondLst><p:cond evt="onNext" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:nextCondLst>
    </p:seq>
    <p:video><p:cMediaNode vol="80000">
      <p:cTn id="7" fill="hold" display="0"><p:stCondLst><p:cond delay="indefinite"/></p:stCondLst></p:cTn>
      <p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl>
    </p:cMediaNode></p:video>
  </p:childTnLst></p:cTn></p:par></p:tnLst>
</p:timing>"""


def autoplay(slide, movie, duration_ms: int) -> None:
    """Make ``movie`` (the slide's only video) start by itself when the slide opens: replace
    the click-to-play timing python-pptx wrote with PowerPoint's "Start: Automatically"."""
    from pptx.oxml import parse_xml

    sld = slide._element
    timing = parse_xml(_TIMING.format(dur=max(int(duration_ms), 1), spid=movie.shape_id))
    sld.remove(sld.get_or_add_timing())  # python-pptx's click-to-play tree, if any
    sld._insert_timing(timing)           # in its place in the schema's order
