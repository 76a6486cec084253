using System.Security.Cryptography;
namespace FaceWatch.Core.Models;

/// <summary>
/// File names of the converted models. Contract for every consumer (all NCHW float32, input name <c>input</c>,
/// RGB, pre-processing (x - 127.5) / 128 done by the caller, never baked into the graph):
/// <list type="bullet">
/// <item><c>pnet.onnx</c>: input [1,3,H,W] (any H, W >= 12) -> <c>prob</c> [1,2,h,w] (softmax; channel 1 = face), <c>bbox_reg</c> [1,4,h,w].</item>
/// <item><c>rnet.onnx</c>: input [N,3,24,24] -> <c>prob</c> [N,2], <c>bbox_reg</c> [N,4].</item>
/// <item><c>onet.onnx</c>: input [N,3,48,48] -> <c>prob</c> [N,2], <c>bbox_reg</c> [N,4], <c>landmarks</c> [N,10] (x1..x5 then y1..y5, relative to the box).</item>
/// <item><c>mobilefacenet.onnx</c>: input [N,3,112,112] -> <c>embedding</c> [N,192] (not normalised).</item>
/// </list>
/// The MTCNN weights were trained on transposed (width/height swapped) images: the converter bakes that
/// transpose into the MTCNN graphs, so callers feed ordinary upright images and read ordinary upright maps.
/// </summary>
public static class ModelFiles
{
    public const string PNet = "pnet.onnx";
    public const string RNet = "rnet.onnx";
    public const string ONet = "onet.onnx";
    public const string MobileFaceNet = "mobilefacenet.onnx";
    public const string Manifest = "models.json";
    public const string InputName = "input";

    /// <summary>The file of a converted net at a precision: <c>pnet.onnx</c> or <c>pnet.int8.onnx</c>.</summary>
    public static string For(string floatFile, ModelPrecision precision) =>
        precision == ModelPrecision.Int8 ? Path.ChangeExtension(floatFile, ".int8.onnx") : floatFile;

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return System.Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string Sha256Of(byte[] bytes) => System.Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Hex hashes compare case-insensitively: the manifest may be hand-edited in upper case.</summary>
    public static bool HashMatches(string? actual, string expected) =>
        string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
}
