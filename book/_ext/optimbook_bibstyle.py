"""The bibliography's style: entries labelled as the text cites them ("He and Li, 2016a"), sorted by
author and year, titles printed as written.

pybtex's "alpha" labels garble accented or CJK names and its styles lower-case titles ("chinese",
"adam"); this style keeps the case of every title and labels each entry by its authors and year,
the year carrying a letter where the same authors have several entries that year (the bib file's
``year`` field, e.g. ``2016a``). Loaded by _config.yml as a local Sphinx extension.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.template import field, sentence


def _last(person) -> str:
    return " ".join(person.prelast_names + person.last_names)


class AuthorYearLabels(BaseLabelStyle):
    """``Surname, year``, ``A and B, year`` or ``A et al., year``; the title's start without authors."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            if not people:
                title = entry.fields.get("title", entry.key).strip("{}")
                name = title.split("(")[0].strip().strip("{}")[:24]
            elif len(people) == 1:
                name = _last(people[0])
            elif len(people) == 2 and "others" not in _last(people[1]):
                name = f"{_last(people[0])} and {_last(people[1])}"
            else:
                name = f"{_last(people[0])} et al."
            name = name.replace("{", "").replace("}", "")
            yield f"{name}, {entry.fields.get('year', 'n.d.')}"


class Style(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"

    def format_title(self, e, which_field, as_sentence=True):
        formatted_title = field(which_field)
        return sentence[formatted_title] if as_sentence else formatted_title


def setup(app):
    register_plugin("pybtex.style.formatting", "optimbook", Style)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
