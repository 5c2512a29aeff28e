//! Similarity of embedded texts.

/// Cosine similarity of two vectors (their dot product when both have unit length, as
/// [`super::Embedder::embed`] returns them); 0 when either is all zeros.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        (dot / (na * nb)).clamp(-1.0, 1.0)
    }
}

/// Cosine of every pair: `out[i][j]` compares `rows[i]` with `cols[j]`.
pub fn pairwise(rows: &[Vec<f32>], cols: &[Vec<f32>]) -> Vec<Vec<f32>> {
    rows.iter()
        .map(|r| cols.iter().map(|c| cosine(r, c)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_parallel_orthogonal_and_zero_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 3.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
        assert_eq!(
            pairwise(&[vec![1.0, 0.0]], &[vec![1.0, 0.0], vec![-1.0, 0.0]]),
            [[1.0, -1.0]]
        );
    }
}
