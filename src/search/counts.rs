//! One pass that counts matches in total and per activity type.
//!
//! Types are stored as one u64 fast field per document, a bit per type (by position in
//! the taxonomy, which has fewer than 64 types), so counting is one read and a few
//! increments per match: much cheaper than facet paths, and it needs no scoring.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::ColumnValues;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

pub struct TypeCounts {
    pub types: usize,
}

/// (total matches, matches per type position)
pub type Counts = (usize, Vec<u64>);

impl Collector for TypeCounts {
    type Fruit = Counts;
    type Child = SegmentTypeCounts;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTypeCounts> {
        Ok(SegmentTypeCounts {
            column: reader
                .fast_fields()
                .u64("type_mask")?
                .first_or_default_col(0),
            total: 0,
            counts: vec![0; self.types],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut total = 0;
        let mut counts = vec![0; self.types];
        for (t, c) in fruits {
            total += t;
            for (acc, v) in counts.iter_mut().zip(c) {
                *acc += v;
            }
        }
        Ok((total, counts))
    }
}

pub struct SegmentTypeCounts {
    column: std::sync::Arc<dyn ColumnValues<u64>>,
    total: usize,
    counts: Vec<u64>,
}

impl SegmentCollector for SegmentTypeCounts {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        let mut mask = self.column.get_val(doc);
        while mask != 0 {
            let bit = mask.trailing_zeros() as usize;
            if let Some(c) = self.counts.get_mut(bit) {
                *c += 1;
            }
            mask &= mask - 1;
        }
    }

    fn harvest(self) -> Counts {
        (self.total, self.counts)
    }
}
