using System.CommandLine;

namespace FaceWatch.Commands;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var command = new Command("evaluate", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch evaluate: not built yet.");
            return 2;
        });
        return command;
    }
}
