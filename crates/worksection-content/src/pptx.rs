//! PowerPoint presentations (PPTX): every slide's text, in show order.
//!
//! The order is the presentation's slide list (`p:sldIdLst` and its
//! relationships), not the part names: a slide moved in PowerPoint keeps
//! its `slideN.xml`. Packages whose list cannot be followed fall back to
//! the numbers in the part names. Speaker notes are not included.

use super::package::{Flow, Package, TextWalker, Vocabulary};
use super::text::Collector;
use super::{ExtractError, Extracted};

use quick_xml::events::Event;

pub(super) fn extract(bytes: &[u8], max_chars: usize) -> Result<Extracted, ExtractError> {
    let mut package = Package::open(bytes, "pptx")?;
    let slides = slide_order(&mut package)?;
    let mut out = Collector::new(max_chars);
    for (i, slide) in slides.iter().enumerate() {
        if out.is_full() {
            break;
        }
        out.blank_line();
        out.push_str(&format!("--- slide {} ---", i + 1));
        out.end_line();
        let mut walker = TextWalker::new(Vocabulary::Drawing);
        package.walk(slide, |event| walker.event(event, &mut out))?;
    }
    Ok(out.finish("pptx", Some(slides.len())))
}

/// The slide parts in show order.
fn slide_order(package: &mut Package<'_>) -> Result<Vec<String>, ExtractError> {
    let presentation = package.main_part("ppt/presentation.xml");
    let mut ids = Vec::new();
    package.walk(&presentation, |event| {
        if let Event::Start(e) | Event::Empty(e) = event
            && e.local_name().into_inner() == "sldId"
        {
            // `r:id` names the relationship; the unprefixed `id` is a number.
            let rid = e
                .attributes()
                .filter_map(Result::ok)
                .find(|a| a.key.prefix().is_some() && a.key.local_name().into_inner() == "id");
            if let Some(rid) = rid {
                ids.push(rid.value.into_owned());
            }
        }
        Flow::Continue
    })?;
    let rels = package.relationships(&presentation).unwrap_or_default();
    let ordered: Vec<String> = ids
        .iter()
        .filter_map(|id| rels.iter().find(|r| &r.id == id))
        .filter_map(|r| package.find(&r.target))
        .collect();
    if !ordered.is_empty() {
        return Ok(ordered);
    }
    let mut numbered: Vec<(u64, String)> = package
        .names()
        .into_iter()
        .filter_map(|name| {
            let lower = name.to_ascii_lowercase();
            let number = lower
                .strip_prefix("ppt/slides/slide")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((number, name))
        })
        .collect();
    numbered.sort();
    Ok(numbered.into_iter().map(|(_, name)| name).collect())
}
