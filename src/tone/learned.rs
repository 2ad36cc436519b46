//! The learned layer: a compact logistic regression over hashed features of a reply
//! (character n-grams and word stems of the agent's own words, stem pairs, a few
//! features of the customer's message and the rules' hints), trained offline on the
//! labelled tuning replies (`tests/tone/learned.rs`, `TONE_TRAIN=1`) and shipped
//! inside the binary (`assets/tone/learned.bin`) — never downloaded.
//!
//! Why it exists: the rules are phrases and small grammars, and a writer they have not
//! met phrases blame or condescension in words no pattern lists. A linear model over
//! character n-grams sees the shape of a sentence ("…ви самі…", "as I already…") in
//! words it was never given. It only ever *adds* a warning, and only when the rules
//! found nothing loud and the model is confident, so it can raise recall on unseen
//! phrasing without touching what the rules already decide.
//!
//! One head says "needs a warning at all"; one head per commandment (1, 3, 4, 5) says
//! which commandment the warning goes under. Weights are `i16` with one scale per
//! head: 2^15 buckets × 5 heads × 2 bytes = 320 KB.

/// Hashed feature buckets (a power of two).
pub const BUCKETS: usize = 1 << 15;
/// The heads, in the order they are stored: any warning, then commandments 1, 3, 4, 5.
pub const HEADS: [u8; 5] = [255, 1, 3, 4, 5];
const MAGIC: &[u8; 4] = b"FLT1";

/// A trained model: per head a bias and `BUCKETS` weights.
#[derive(Debug, Clone)]
pub struct Model {
    /// `HEADS.len()` rows of `BUCKETS` weights.
    weights: Vec<f32>,
    bias: [f32; HEADS.len()],
    /// Above this probability of "needs a warning" a silent reply gets one.
    pub threshold: f32,
}

/// What the rules know of a reply that argues against a learned warning (see
/// `checks::learned::caution`): such a reply needs a higher score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caution {
    /// Fewer words than `checks::learned::SHORT_WORDS`.
    pub short: bool,
    /// The reply's words (for measuring other limits).
    pub words: usize,
    /// The reply takes the problem on: ownership words, or the problem resolved.
    pub positive: bool,
}

/// One training example: its feature buckets and, per head, whether it is positive.
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Vec<u32>,
    pub labels: [bool; HEADS.len()],
}

/// How to train: passes over the data, L2 strength, AdaGrad step, and the weight a
/// positive example gets relative to a negative one.
#[derive(Debug, Clone, Copy)]
pub struct TrainParams {
    pub epochs: usize,
    pub l2: f32,
    pub step: f32,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            epochs: 30,
            l2: 1e-4,
            step: 0.2,
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Each example's features count once and the whole vector has unit length, so a
/// long reply does not score higher for being long.
fn unit(features: &[u32]) -> f32 {
    if features.is_empty() {
        0.0
    } else {
        1.0 / (features.len() as f32).sqrt()
    }
}

impl Model {
    /// Trains every head by AdaGrad over the examples in a fixed order (the same data
    /// gives the same bytes, so the shipped file can be rebuilt and compared).
    pub fn train(examples: &[Example], params: TrainParams, threshold: f32) -> Model {
        let heads = HEADS.len();
        let mut weights = vec![0f32; heads * BUCKETS];
        let mut grad_sq = vec![1e-6f32; heads * BUCKETS];
        let mut bias = [0f32; HEADS.len()];
        let mut bias_sq = [1e-6f32; HEADS.len()];
        // A fixed interleaving instead of a random shuffle: deterministic, and no run of
        // one file's cases at a time.
        let n = examples.len();
        let order: Vec<usize> = (0..n).map(|i| (i * 7919) % n.max(1)).collect();
        let mut seen = vec![false; n];
        let order: Vec<usize> = order
            .into_iter()
            .chain(0..n)
            .filter(|&i| !std::mem::replace(&mut seen[i], true))
            .collect();
        for _ in 0..params.epochs {
            for &i in &order {
                let ex = &examples[i];
                let x = unit(&ex.features);
                for h in 0..heads {
                    let row = &mut weights[h * BUCKETS..(h + 1) * BUCKETS];
                    let z: f32 =
                        bias[h] + ex.features.iter().map(|&f| row[f as usize]).sum::<f32>() * x;
                    let y = if ex.labels[h] { 1.0 } else { 0.0 };
                    let g = sigmoid(z) - y;
                    bias_sq[h] += g * g;
                    bias[h] -= params.step * g / bias_sq[h].sqrt();
                    let sq = &mut grad_sq[h * BUCKETS..(h + 1) * BUCKETS];
                    for &f in &ex.features {
                        let f = f as usize;
                        let gw = g * x + params.l2 * row[f];
                        sq[f] += gw * gw;
                        row[f] -= params.step * gw / sq[f].sqrt();
                    }
                }
            }
        }
        Model {
            weights,
            bias,
            threshold,
        }
    }

    /// The probability of each head for these features.
    pub fn scores(&self, features: &[u32]) -> [f32; HEADS.len()] {
        let x = unit(features);
        let mut out = [0f32; HEADS.len()];
        for (h, o) in out.iter_mut().enumerate() {
            let row = &self.weights[h * BUCKETS..(h + 1) * BUCKETS];
            let z: f32 = features.iter().map(|&f| row[f as usize]).sum();
            *o = sigmoid(self.bias[h] + z * x);
        }
        out
    }

    /// The shipped form: magic, threshold, per head bias and scale, then the weights
    /// as `i16` (little endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + HEADS.len() * (8 + 2 * BUCKETS));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.threshold.to_le_bytes());
        for h in 0..HEADS.len() {
            let row = &self.weights[h * BUCKETS..(h + 1) * BUCKETS];
            let max = row.iter().fold(0f32, |m, w| m.max(w.abs())).max(1e-9);
            let scale = max / i16::MAX as f32;
            out.extend_from_slice(&self.bias[h].to_le_bytes());
            out.extend_from_slice(&scale.to_le_bytes());
            for w in row {
                out.extend_from_slice(&((w / scale).round() as i16).to_le_bytes());
            }
        }
        out
    }

    /// Reads [`Model::to_bytes`]; `None` when the bytes are not a model of this shape.
    pub fn from_bytes(bytes: &[u8]) -> Option<Model> {
        let f32_at = |at: usize| -> Option<f32> {
            Some(f32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
        };
        if bytes.get(..4)? != MAGIC || bytes.len() != 8 + HEADS.len() * (8 + 2 * BUCKETS) {
            return None;
        }
        let threshold = f32_at(4)?;
        let mut weights = Vec::with_capacity(HEADS.len() * BUCKETS);
        let mut bias = [0f32; HEADS.len()];
        let mut at = 8;
        for b in bias.iter_mut() {
            *b = f32_at(at)?;
            let scale = f32_at(at + 4)?;
            at += 8;
            for pair in bytes[at..at + 2 * BUCKETS].chunks_exact(2) {
                weights.push(i16::from_le_bytes([pair[0], pair[1]]) as f32 * scale);
            }
            at += 2 * BUCKETS;
        }
        Some(Model {
            weights,
            bias,
            threshold,
        })
    }
}

/// FNV-1a: stable across platforms and releases, so the shipped weights keep meaning
/// the same features.
#[derive(Clone, Copy)]
pub(crate) struct Hash(u64);

impl Hash {
    pub(crate) fn new(kind: u8) -> Hash {
        Hash(0xcbf2_9ce4_8422_2325).byte(kind)
    }
    pub(crate) fn byte(self, b: u8) -> Hash {
        Hash((self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    }
    pub(crate) fn str(self, s: &str) -> Hash {
        s.bytes().fold(self, Hash::byte)
    }
    pub(crate) fn char(self, c: char) -> Hash {
        let mut buf = [0u8; 4];
        self.str(c.encode_utf8(&mut buf))
    }
    pub(crate) fn bucket(self) -> u32 {
        // Fold the high bits in: FNV's low bits alone mix poorly.
        ((self.0 ^ (self.0 >> 29)) as usize & (BUCKETS - 1)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_survives_its_shipped_form_and_learns_a_separable_signal() {
        let ex = |f: &[u32], y: bool| Example {
            features: f.to_vec(),
            labels: [y, y, false, false, false],
        };
        let data: Vec<Example> = (0..40)
            .map(|i| ex(&[1, 2, (i % 5) + 10], true))
            .chain((0..40).map(|i| ex(&[3, 4, (i % 5) + 10], false)))
            .collect();
        let m = Model::train(&data, TrainParams::default(), 0.7);
        let back = Model::from_bytes(&m.to_bytes()).expect("round trip");
        let pos = back.scores(&[1, 2, 11])[0];
        let neg = back.scores(&[3, 4, 11])[0];
        assert!(pos > 0.8 && neg < 0.2, "pos {pos} neg {neg}");
        assert!((back.threshold - 0.7).abs() < 1e-6);
        assert!(Model::from_bytes(b"FLT1").is_none());
    }
}
