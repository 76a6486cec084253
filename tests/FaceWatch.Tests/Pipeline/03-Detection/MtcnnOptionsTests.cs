using FaceWatch.Pipeline.Detection;
using Microsoft.Extensions.Options;

namespace FaceWatch.Tests.Pipeline.Detection;

public class MtcnnOptionsTests
{
    [Fact]
    public void Defaults_are_the_published_mtcnn_settings_and_valid()
    {
        var o = new MtcnnOptions();
        Assert.Equal(40, o.MinFaceSize);
        Assert.Equal(0.6f, o.PNetThreshold);
        Assert.Equal(0.7f, o.RNetThreshold);
        Assert.Equal(0.7f, o.ONetThreshold);
        Assert.Equal(0.709f, o.ScaleFactor);
        Assert.Equal(1, o.Threads);
        Assert.Equal(4, o.FixedShapeSessions);
        Assert.True(new MtcnnOptionsValidator().Validate(null, o).Succeeded);
    }

    [Fact]
    public void A_too_small_min_face_is_rejected_naming_the_key()
    {
        var e = Assert.Throws<OptionsValidationException>(() => MtcnnOptionsValidator.ThrowIfInvalid(new MtcnnOptions { MinFaceSize = 5 }));
        Assert.Contains("Detection:MinFaceSize must be between 12 and 4096 (got 5)", e.Failures);
    }

    [Fact]
    public void Out_of_range_threshold_and_factor_are_rejected()
    {
        var e = Assert.Throws<OptionsValidationException>(() => MtcnnOptionsValidator.ThrowIfInvalid(new MtcnnOptions { ONetThreshold = 1.5f, ScaleFactor = 1f }));
        Assert.Contains("Detection:ONetThreshold must be between 0 and 1 (got 1.5)", e.Failures);
        Assert.Contains("Detection:ScaleFactor must be between 0.3 and 0.95 (got 1)", e.Failures);
    }

    [Fact]
    public void Min_face_larger_than_max_input_side_is_rejected()
    {
        var e = Assert.Throws<OptionsValidationException>(() =>
            MtcnnOptionsValidator.ThrowIfInvalid(new MtcnnOptions { MinFaceSize = 700, MaxInputSide = 640 }));
        Assert.Contains("Detection:MinFaceSize: 700 is larger than MaxInputSide 640", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_input_side_zero_means_off_and_tiny_values_are_rejected()
    {
        Assert.True(new MtcnnOptionsValidator().Validate(null, new MtcnnOptions { MaxInputSide = 0 }).Succeeded);
        var result = new MtcnnOptionsValidator().Validate(null, new MtcnnOptions { MaxInputSide = 32, MinFaceSize = 20 });
        Assert.Contains(result.Failures!, f => f.StartsWith("Detection:MaxInputSide:", StringComparison.Ordinal));
    }
}
