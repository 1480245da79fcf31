module example.com/lambda-go

go 1.19

require (
	github.com/aws/aws-lambda-go v1.34.1
	golang.org/x/text v0.3.7 // indirect
)
