using System.CommandLine;

namespace FaceWatch.Commands;

internal static class DetectCommand
{
    public static Command Create()
    {
        var command = new Command("detect", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch detect: not built yet.");
            return 2;
        });
        return command;
    }
}
