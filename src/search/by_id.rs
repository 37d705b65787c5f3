//! Each segment's documents in listing-id order, for browsing without words or a
//! place.
//!
//! Without words every match scores the same, and without a place nothing else
//! orders them, so such a browse lists matches by listing id (stable across restarts,
//! reindexes and segment merges, which document order is not). Finding the lowest ids
//! among a million matches by reading every match's id and keeping a heap cost about
//! 8 ms at 1M, and a deep page (the Open Referral API's page 1,000 of 50 keeps 50,000)
//! several times that: and that browse is what every consumer walking the API does.
//!
//! A segment never changes once written, so its documents sorted by id are worked out
//! once (a read of the id column and a sort: tens of milliseconds at a million) and
//! kept, with the ids, for as long as the segment lives (12 bytes a document: 12 MB
//! at a million). A browse then marks its matches in a bit set
//! while it counts them, and walks the segment's id order taking marked documents
//! until it has enough: the page costs what it returns, not what the index holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

use super::collect::dense;

/// What a browse in id order needs besides the query: the id orders, and whether
/// the query matches every document (no words and no filters), so that a browse of
/// the whole directory need not visit its matches at all when it counts nothing but
/// the total.
#[derive(Debug, Clone)]
pub struct ById {
    pub orders: Arc<IdOrders>,
    pub everything: bool,
}

/// One segment's documents in listing-id order, with their ids: read in that order
/// from here, the ids cost nothing, where reading them from the column in that order
/// jumps about it (a cache miss each, most of a deep page's time).
#[derive(Debug)]
pub struct IdOrder {
    pub docs: Vec<DocId>,
    pub ids: Vec<u64>,
}

/// One segment's id order, once worked out.
type Slot = Arc<OnceLock<Arc<IdOrder>>>;

/// The id order of each live segment, worked out when first asked for.
#[derive(Default)]
pub struct IdOrders {
    segments: Mutex<HashMap<SegmentId, Slot>>,
}

impl std::fmt::Debug for IdOrders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.segments.lock().map_or(0, |m| m.len());
        write!(f, "IdOrders({n} segments)")
    }
}

impl IdOrders {
    /// The segment's documents, deleted ones included, lowest listing id first.
    pub fn of(&self, reader: &SegmentReader) -> tantivy::Result<Arc<IdOrder>> {
        let slot = {
            let mut map = self.segments.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(reader.segment_id()).or_default().clone()
        };
        if let Some(order) = slot.get() {
            return Ok(order.clone());
        }
        // Two searches may work the same segment out at once; the first to finish
        // is kept, and both orders are the same.
        let order = sorted_by_id(reader)?;
        Ok(slot.get_or_init(|| order).clone())
    }

    /// Forgets segments that are no longer in the index (merged away).
    pub fn keep_only(&self, live: &[SegmentId]) {
        let mut map = self.segments.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|id, _| live.contains(id));
    }
}

fn sorted_by_id(reader: &SegmentReader) -> tantivy::Result<Arc<IdOrder>> {
    let ids = dense(reader, "id", u64::MAX)?;
    let mut values = vec![0u64; reader.max_doc() as usize];
    ids.get_range(0, &mut values);
    let mut pairs: Vec<(u64, DocId)> = values.into_iter().zip(0..).collect();
    pairs.sort_unstable();
    let (ids, docs) = pairs.into_iter().unzip();
    Ok(Arc::new(IdOrder { docs, ids }))
}
