"""Rule drafts from data: every clause traces to a record; binding clauses only in the body (never a
探索 clause); 可选 clauses marked; local parameters as highlighted blanks or the profile's values; the
.docx files read back; the `rules` command; the site's pages and downloads."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
from conftest import ROOT
from docx_helpers import headings, read

from macros.docx_model import texts
from macros.docx_write import docx_bytes
from macros.model import load_dataset
from macros.rule_drafts import Kind, draft_model, drafts, file_name
from macros.scope import binding_sources, school_sources
from macros.scoring_profile import Parameter

T = texts()["rules"]


@pytest.fixture(scope="module")
def ds():
    return load_dataset(ROOT)


def kinds(ds, profile=None):
    return [Kind(o, m, profile) for o in ds.vocab.org_types for m in ds.vocab.modes]


def clauses(draft):
    return [c for s in draft.sections for c in s.clauses] + [row[0] for row in draft.decisions]


def test_three_drafts_for_every_kind_of_school(ds):
    for kind in kinds(ds):
        ds_drafts = drafts(ds, kind)
        assert [d.key for d in ds_drafts] == [d["key"] for d in T["drafts"]]
        for d in ds_drafts:
            assert clauses(d), (kind, d.key)
            assert kind.org_type in d.applies and kind.mode in d.applies


def test_every_clause_traces_to_a_record(ds):
    for kind in kinds(ds):
        for d in drafts(ds, kind):
            for c in clauses(d):
                rec = ds.get(c.record)  # raises on an unknown ID
                assert rec.active and c.record in c.note
                assert ds.source(rec.cite[0].src).title in c.note.replace("《", "").replace("》", "")


def test_body_is_binding_only(ds):
    """A clause is in the body only if its force binds and a source binds the school; 探索 never is."""
    for kind in kinds(ds):
        bound = school_sources(ds, kind.district)
        for d in drafts(ds, kind):
            for c in clauses(d):
                rec = ds.get(c.record)
                binding = rec.force in ds.vocab.binding_forces and bool(set(binding_sources(ds, rec)) & bound)
                assert binding == (not c.optional), (c.record, rec.force)
                if rec.force == "探索":
                    assert c.optional


def test_setups_follow_org_type_and_mode(ds):
    for kind in kinds(ds):
        pc = drafts(ds, kind)[0]
        setup_ids = {c.record for s in pc.sections if s.heading == T["sections"]["setup"] for c in s.clauses}
        for rid in setup_ids:
            setup = ds.get(rid)
            assert setup.org_type == kind.org_type and setup.mode in ("", kind.mode)


def with_binds(ds, source_id: str, districts: tuple[str, ...]):
    """The dataset with one source binding the schools of `districts` (as a local document would)."""
    src = replace(ds.source(source_id), binds=districts)
    by_id = dict(ds.by_id)
    by_id[source_id] = src
    return replace(ds, sources=tuple(src if s.id == source_id else s for s in ds.sources),
                   by_id=MappingProxyType(by_id))


def test_a_profile_brings_local_rules_and_parameters(ds):
    """A profile naming a local source among its binding sources makes that source's binding clauses part
    of the body (its 探索 clauses stay 可选); the profile's parameters fill the blanks."""
    local_ds = with_binds(ds, "SRC-XZ-PLAN", ("DS-FH",))
    profile = replace(ds.profile("PF-NAT"), binding_sources=("SRC-XZ-PLAN",),
                      parameters=(Parameter("pc-frequency", "党组织会议频次", "每月至少召开 1 次"),))
    plain = {d.key: d for d in drafts(local_ds, Kind("党支部", "一肩挑"))}
    local = {d.key: d for d in drafts(local_ds, Kind("党支部", "一肩挑", profile))}

    def from_xz(draft, optional):
        return [c for c in clauses(draft) if bool(c.optional) == optional and ds.get(c.record).cite[0].src == "SRC-XZ-PLAN"]

    assert from_xz(local["pc"], False) and all(ds.get(c.record).force != "探索" for c in from_xz(local["pc"], False))
    assert any(ds.get(c.record).force == "探索" for c in from_xz(local["pc"], True))
    assert not from_xz(plain["pc"], False)
    slots = {s.label: s for sec in local["pc"].sections for s in sec.slots}
    assert slots[next(p.label for p in ds.vocab.parameters if p.key == "pc-frequency")].value == "每月至少召开 1 次"
    assert all(not s.value for sec in plain["pc"].sections for s in sec.slots)


def test_docx_read_back(ds, tmp_path):
    kind = Kind("党支部", "分设")
    for d in drafts(ds, kind):
        path = tmp_path / file_name(kind, d)
        path.write_bytes(docx_bytes(draft_model(ds, d)))
        doc = read(path)
        assert doc["body"][0][1] == "Title" and d.title.format("") in doc["body"][0][2]
        assert texts()["blank"].format(T["school_blank"]) in doc["highlighted"]
        assert len(doc["notes"]) == len(clauses(d))
        for c, note in zip(clauses(d), doc["notes"], strict=True):
            assert note.strip() == c.note
        text = "\n".join(b[2] for b in doc["body"] if b[0] == "P")
        assert T["procedure"] in text
        if d.key != "decisions":
            assert headings(doc) and text.count("【可选：") == sum(1 for c in clauses(d) if c.optional)
        for spec in ds.vocab.parameters:
            if spec.draft == d.key:
                assert texts()["blank"].format(spec.label) in doc["highlighted"]


@pytest.mark.slow
def test_rules_command(tmp_path):
    run = [sys.executable, "-m", "macros", "rules"]
    proc = subprocess.run([*run, "--out", str(tmp_path / "all")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "all").glob("*.docx"))) == 18
    proc = subprocess.run([*run, "--org-type", "党支部", "--mode", "一肩挑", "--profile", "PF-QJ", "--out",
                           str(tmp_path / "one")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == sorted(
        f"党支部-一肩挑-{d['file']}（草稿）.docx" for d in T["drafts"])
    proc = subprocess.run([*run, "--org-type", "党小组", "--out", str(tmp_path / "x")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2 and "党小组" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([*run, "--profile", "PF-NONE", "--out", str(tmp_path / "x")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2 and "PF-NONE" in proc.stderr and not (tmp_path / "x").exists()


@pytest.mark.slow
def test_site_pages_and_downloads(ds, built_site: Path):
    from bs4 import BeautifulSoup

    index = (built_site / "rules" / "index.html").read_text(encoding="utf-8")
    s = ds.vocab.slugs
    for kind in kinds(ds):
        stem = f"{s[kind.org_type]}-{s[kind.mode]}"
        html = (built_site / "rules" / stem / "index.html").read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        items = soup.select("[data-record]")
        assert {i["data-record"] for i in items} == {c.record for d in drafts(ds, kind) for c in clauses(d)}
        for d in drafts(ds, kind):
            docx = built_site / "rules" / f"{stem}-{d.key}.docx"
            assert docx.is_file() and read(docx)["notes"]
            assert f"{stem}-{d.key}.docx" in index
    assert (built_site / "assets" / "word-export-data.js").is_file()
