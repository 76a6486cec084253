namespace FaceWatch.Pipeline.Embedding;

/// <summary>Which embedding model made a gallery's embeddings: galleries from another model cannot be mixed.</summary>
public sealed record EmbeddingModelIdentity(string ModelId, string ModelFile, int InputSize, int Dimension)
{
    public override string ToString() =>
        $"{ModelFile} (sha256 {ModelId[..Math.Min(12, ModelId.Length)]}..., {InputSize}x{InputSize} input, {Dimension}-d)";

    public bool SameModelAs(EmbeddingModelIdentity other) =>
        string.Equals(ModelId, other.ModelId, StringComparison.OrdinalIgnoreCase) && InputSize == other.InputSize && Dimension == other.Dimension;
}
